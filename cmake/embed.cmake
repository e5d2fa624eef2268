# trine_embed_files(<target-name> OUTPUT <cpp> BASE <dir> FILES <relative paths...>)
# Generates a C++ file holding each file's text, looked up by its path relative to BASE.
function(trine_embed_files name)
  cmake_parse_arguments(E "" "OUTPUT;BASE" "FILES" ${ARGN})
  set(abs)
  foreach(f ${E_FILES})
    list(APPEND abs ${E_BASE}/${f})
  endforeach()
  string(REPLACE ";" "|" files_arg "${E_FILES}")
  add_custom_command(OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUTPUT} -DBASE=${E_BASE} "-DFILES=${files_arg}"
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_run.cmake
    DEPENDS ${abs} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_run.cmake
    COMMENT "Embedding kernel templates"
    VERBATIM)
endfunction()
