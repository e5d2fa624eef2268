// One exception type for user-facing failures: the message names the file, tensor or option.
#pragma once
#include <stdexcept>
#include <string>

namespace trine {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace trine
