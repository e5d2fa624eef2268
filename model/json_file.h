// Reading a JSON file (config.json, tokenizer.json, indexes, exports) with errors that name it.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace trine::model {

// Throws Error "PATH: cannot read: cannot open (reason)" or "PATH: not valid JSON: ...".
nlohmann::json read_json_file(const std::string& path);

}  // namespace trine::model
