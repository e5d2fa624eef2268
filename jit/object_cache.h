// Private to jit/: content-addressed storage of compiled objects on disk.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trine::jit::detail {

// Hashes a sequence of fields into a hex SHA-256. Each field is length-prefixed, so moving bytes
// from one field into the next changes the key.
class KeyHasher {
 public:
  KeyHasher();
  ~KeyHasher();
  KeyHasher(const KeyHasher&) = delete;
  KeyHasher& operator=(const KeyHasher&) = delete;
  void field(std::string_view bytes);
  std::string hex();  // finishes the hash

 private:
  struct State;
  State* state_;
};

// Objects live in <dir>/<key>.o. Each file is the object followed by a trailer holding the
// object's own SHA-256 and a magic word, so a truncated or bit-flipped file is detected and
// recompiled instead of being handed to the linker. The trailer sits after the ELF data, so the
// file is still a valid object for objdump and friends.
class ObjectCache {
 public:
  explicit ObjectCache(std::string dir) : dir_(std::move(dir)) {}
  bool enabled() const { return !dir_.empty(); }
  std::string path_for(const std::string& key) const;
  // The object bytes, or nothing when the file is missing, unreadable or fails its checksum.
  std::optional<std::string> load(const std::string& key) const;
  // Best effort: an unwritable cache only costs a recompile next time, so failures are swallowed.
  // Writes a temporary file and renames it, so readers never see a partial object.
  void store(const std::string& key, std::string_view object) const;

 private:
  std::string dir_;
};

}  // namespace trine::jit::detail
