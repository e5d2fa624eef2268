# trine_embed_files(<target-name> OUTPUT <cpp> BASE <dir> FILES <relative paths...> [FUNCTION <name>])
# Generates a C++ file holding each file's text, looked up by its path relative to BASE, returned
# by trine::<FUNCTION>() (default embedded_files, declared in runtime/embedded_files.h).
function(trine_embed_files name)
  cmake_parse_arguments(E "" "OUTPUT;BASE;FUNCTION" "FILES" ${ARGN})
  if(NOT E_FUNCTION)
    set(E_FUNCTION embedded_files)
  endif()
  set(abs)
  foreach(f ${E_FILES})
    list(APPEND abs ${E_BASE}/${f})
  endforeach()
  string(REPLACE ";" "|" files_arg "${E_FILES}")
  add_custom_command(OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUTPUT} -DBASE=${E_BASE} "-DFILES=${files_arg}" -DFUNCTION=${E_FUNCTION}
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_run.cmake
    DEPENDS ${abs} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_run.cmake
    COMMENT "Embedding kernel templates"
    VERBATIM)
endfunction()
