// Byte-level BPE: tables, encoding, decoding, streaming. Loading lives in tokenizer_load.cpp.
#include "model/tokenizer.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/tokenizer_impl.h"
#include "runtime/error.h"

namespace trine::model::tok {

// ---- byte-level alphabet -------------------------------------------------------------------

namespace {

struct ByteAlphabet {
  char32_t to_cp[256];
  int16_t from_cp[324];  // code points 0..323 cover the whole alphabet; -1 = not in it
  ByteAlphabet() {
    std::fill(std::begin(from_cp), std::end(from_cp), int16_t{-1});
    // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes
    // are shifted to 256.. in byte order, so every byte has a visible, unambiguous character.
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      to_cp[b] = printable ? char32_t(b) : char32_t(256 + extra++);
      from_cp[to_cp[b]] = int16_t(b);
    }
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::optional<std::string> piece_to_bytes(std::string_view piece) {
  const ByteAlphabet& a = alphabet();
  std::string out;
  out.reserve(piece.size());
  for (size_t i = 0; i < piece.size();) {
    char32_t cp;
    int n = utf8_decode(piece, i, cp);
    if (n <= 0 || cp >= 324 || a.from_cp[cp] < 0) return std::nullopt;
    out += char(a.from_cp[cp]);
    i += size_t(n);
  }
  return out;
}

std::string bytes_to_piece(std::string_view bytes) {
  const ByteAlphabet& a = alphabet();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) append_utf8(out, a.to_cp[c]);
  return out;
}

int utf8_decode(std::string_view s, size_t i, char32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  int n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  for (int k = 1; k < n; ++k) {
    if (i + size_t(k) >= s.size()) return -k;
    const unsigned char d = b(i + size_t(k));
    if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF)) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  return n;
}

// ---- hash tables ---------------------------------------------------------------------------

namespace {

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

size_t table_size(size_t n) {
  size_t cap = 16;
  while (cap < n + n / 2 + 1) cap <<= 1;  // load <= 2/3 keeps probe chains short
  return cap;
}

}  // namespace

uint64_t PieceTable::hash(std::string_view s) {
  // 8 bytes at a time: pieces are short, and this runs once per pre-token.
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix(h ^ w) * 0x9E3779B97F4A7C15ULL;
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  return mix(h ^ w ^ (uint64_t(s.size() - i) << 56));
}

void PieceTable::build(const std::vector<std::pair<std::string, int>>& entries) {
  arena_.clear();
  size_t total = 0;
  for (const auto& e : entries) total += e.first.size();
  arena_.reserve(total);
  slots_.assign(table_size(entries.size()), Slot{});
  mask_ = slots_.size() - 1;
  for (const auto& [key, id] : entries) {
    const uint64_t h = hash(key);
    size_t i = h & mask_;
    bool dup = false;
    while (slots_[i].id >= 0) {
      if (slots_[i].hash == uint32_t(h) && view(slots_[i]) == key) {
        dup = true;  // the first (lowest-ranked) spelling wins
        break;
      }
      i = (i + 1) & mask_;
    }
    if (dup) continue;
    slots_[i] = Slot{uint32_t(arena_.size()), uint32_t(key.size()), id, uint32_t(h)};
    arena_ += key;
  }
}

int PieceTable::find(std::string_view key) const {
  if (slots_.empty()) return -1;
  const uint64_t h = hash(key);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.id < 0) return -1;
    if (s.hash == uint32_t(h) && s.len == key.size() && std::memcmp(arena_.data() + s.off, key.data(), key.size()) == 0)
      return s.id;
  }
}

void MergeTable::build(const std::vector<Entry>& entries) {
  slots_.assign(table_size(entries.size()), Entry{kEmpty, 0, 0});
  mask_ = slots_.size() - 1;
  for (const Entry& e : entries) {
    size_t i = mixed(e.key) & mask_;
    while (slots_[i].key != kEmpty && slots_[i].key != e.key) i = (i + 1) & mask_;
    if (slots_[i].key == e.key) continue;  // a repeated merge keeps its first (best) rank
    slots_[i] = e;
  }
}

// ---- special-token trie --------------------------------------------------------------------

void SpecialTrie::add(std::string_view text, int id) {
  if (text.empty()) return;
  if (nodes_.empty()) nodes_.emplace_back();
  first_[static_cast<unsigned char>(text[0])] = true;
  int n = 0;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    int next = -1;
    for (auto [k, v] : nodes_[size_t(n)].next)
      if (k == c) next = v;
    if (next < 0) {
      next = int(nodes_.size());
      nodes_[size_t(n)].next.emplace_back(c, next);
      nodes_.emplace_back();
    }
    n = next;
  }
  if (nodes_[size_t(n)].id < 0) nodes_[size_t(n)].id = id;
}

std::pair<int, size_t> SpecialTrie::longest(std::string_view s, size_t pos) const {
  std::pair<int, size_t> best{-1, 0};
  int n = 0;
  for (size_t i = pos; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    int next = -1;
    for (auto [k, v] : nodes_[size_t(n)].next)
      if (k == c) next = v;
    if (next < 0) break;
    n = next;
    if (nodes_[size_t(n)].id >= 0) best = {nodes_[size_t(n)].id, i + 1 - pos};
  }
  return best;
}

// ---- regex ---------------------------------------------------------------------------------

namespace {

// \s as Unicode White_Space, the set Oniguruma (HF tokenizers) and tiktoken use. PCRE2's UCP \s
// also takes U+180E (no longer White_Space since Unicode 6.3), which would split pre-tokens
// differently around it.
constexpr std::string_view kWhiteSpace =
    R"(\t-\r\x20\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

// Rewrites \s and \S (and \s inside a class) to kWhiteSpace; everything else is copied. A \S
// inside a class has no class-member spelling and stays PCRE2's.
std::string white_space_as_unicode(std::string_view p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      if (e == 'Q') {  // quoted run: copy through \E untouched
        const size_t end = p.find("\\E", i + 2);
        const size_t stop = end == std::string_view::npos ? p.size() : end + 2;
        out.append(p.substr(i, stop - i));
        i = stop - 1;
      } else if (e == 's' && in_class) {
        out += kWhiteSpace, ++i;
      } else if ((e == 's' || e == 'S') && !in_class) {
        out += e == 's' ? "[" : "[^";
        out += kWhiteSpace;
        out += ']', ++i;
      } else {
        out += c, out += e, ++i;
      }
      continue;
    }
    out += c;
    if (!in_class && c == '[') {
      in_class = true;
      // A ']' right after '[' or '[^' is a literal member, not the end.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
    } else if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      const size_t end = p.find(":]", i + 2);  // POSIX [:name:]
      if (end != std::string_view::npos) {
        out.append(p.substr(i + 1, end + 2 - (i + 1)));
        i = end + 1;
      }
    } else if (in_class && c == ']') {
      in_class = false;
    }
  }
  return out;
}

}  // namespace

Regex::Regex(const std::string& source, const std::string& where) {
  const std::string pattern = white_space_as_unicode(source);
  int err = 0;
  PCRE2_SIZE off = 0;
  // UCP makes \s, \p{L} etc. Unicode-aware as in the Oniguruma regex HF tokenizers uses;
  // MATCH_INVALID_UTF lets arbitrary bytes through (they land between matches) instead of failing.
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                        PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &off, nullptr);
  if (!code_) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw Error(fmt::format("{}: pre-tokenizer regex {} does not compile: {}", where, source,
                            reinterpret_cast<const char*>(msg)));
  }
  // The JIT is several times faster; without it (unsupported CPU) the interpreter still works.
  pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
}

Regex::~Regex() {
  if (code_) pcre2_code_free(code_);
}

// ---- encoding ------------------------------------------------------------------------------

namespace {

// Scratch for the merge loop, reused across the pre-tokens of one encode() call.
struct Scratch {
  struct Sym {
    int id, prev, next;
  };
  struct Cand {
    int rank, pos, left, right, merged;
    // std heap is a max-heap: invert so the lowest rank, then the leftmost position, comes first.
    bool operator<(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<Sym> syms;
  std::vector<Cand> heap;
};

void push_pair(const MergeTable& merges, Scratch& sc, int i) {
  const int j = sc.syms[size_t(i)].next;
  if (j < 0) return;
  const int l = sc.syms[size_t(i)].id, r = sc.syms[size_t(j)].id;
  if (const MergeTable::Entry* m = merges.find(l, r)) {
    sc.heap.push_back({m->rank, i, l, r, m->merged});
    std::push_heap(sc.heap.begin(), sc.heap.end());
  }
}

// Merges in rank order, leftmost first among equal ranks (HF tokenizers' order). A heap entry
// remembers the two ids it was made for; if either side has changed since, it is stale.
void bpe(const Tokenizer::Impl& t, std::string_view word, Scratch& sc, std::vector<int>& out) {
  const int n = int(word.size());
  sc.syms.resize(size_t(n));
  sc.heap.clear();
  for (int i = 0; i < n; ++i)
    sc.syms[size_t(i)] = {t.byte_id[static_cast<unsigned char>(word[size_t(i)])], i - 1, i + 1 < n ? i + 1 : -1};
  for (int i = 0; i + 1 < n; ++i) push_pair(t.merges, sc, i);
  while (!sc.heap.empty()) {
    std::pop_heap(sc.heap.begin(), sc.heap.end());
    const Scratch::Cand c = sc.heap.back();
    sc.heap.pop_back();
    Scratch::Sym& a = sc.syms[size_t(c.pos)];
    if (a.id != c.left || a.next < 0) continue;
    Scratch::Sym& b = sc.syms[size_t(a.next)];
    if (b.id != c.right) continue;
    a.id = c.merged;
    b.id = -1;  // dead; ids never go negative otherwise, so stale entries can't match it
    a.next = b.next;
    if (b.next >= 0) sc.syms[size_t(b.next)].prev = c.pos;
    if (a.prev >= 0) push_pair(t.merges, sc, a.prev);
    push_pair(t.merges, sc, c.pos);
  }
  for (int i = 0; i >= 0 && n > 0; i = sc.syms[size_t(i)].next) out.push_back(sc.syms[size_t(i)].id);
}

void encode_word(const Tokenizer::Impl& t, std::string_view w, Scratch& sc, std::vector<int>& out) {
  if (w.empty()) return;
  if (w.size() == 1) {
    out.push_back(t.byte_id[static_cast<unsigned char>(w[0])]);
    return;
  }
  // ignore_merges: a pre-token that is itself a vocabulary entry is that entry, even where the
  // merge sequence would split it differently (tiktoken's behaviour, which Llama-3 was trained on).
  if (t.ignore_merges) {
    const int id = t.pieces.find(w);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  bpe(t, w, sc, out);
}

size_t utf8_len_at(std::string_view s, size_t i) {
  char32_t cp;
  const int n = utf8_decode(s, i, cp);
  return n > 0 ? size_t(n) : 1;
}

struct MatchData {
  explicit MatchData(const pcre2_code* code) : md(pcre2_match_data_create_from_pattern(code, nullptr)) {
    if (!md) throw std::bad_alloc();
  }
  ~MatchData() { pcre2_match_data_free(md); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
  pcre2_match_data* md;
};

// Split with "Isolated" behaviour: every match is a pre-token, and so is every gap between
// matches (with the LLaMA-3 pattern gaps only hold bytes that are not valid UTF-8).
void encode_plain(const Tokenizer::Impl& t, std::string_view s, MatchData& m, Scratch& sc, std::vector<int>& out) {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  size_t gap = 0, from = 0;
  while (from < s.size()) {
    const int rc = pcre2_match(t.regex->code(), subject, s.size(), from, 0, m.md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      throw Error(fmt::format("tokenizer: pre-tokenizer regex failed at byte {}: {}", from,
                              reinterpret_cast<const char*>(msg)));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(m.md);
    const size_t b = ov[0], e = ov[1];
    if (e == b) {  // an empty match carries no text; step past one character and search on
      from = b + utf8_len_at(s, b);
      continue;
    }
    encode_word(t, s.substr(gap, b - gap), sc, out);
    encode_word(t, s.substr(b, e - b), sc, out);
    gap = from = e;
  }
  encode_word(t, s.substr(gap), sc, out);
}

// python: Python's str.isspace() (Jinja's trim), which adds U+001C..U+001F to White_Space.
bool is_space_at(std::string_view s, size_t i, size_t& len, bool python) {
  char32_t cp;
  const int n = utf8_decode(s, i, cp);
  if (n <= 0) return false;
  len = size_t(n);
  return is_unicode_space(cp) || (python && cp >= 0x1C && cp <= 0x1F);
}

std::string_view trim_end(std::string_view s, bool python = false) {
  while (!s.empty()) {
    // Step back to the start of the last character.
    size_t i = s.size() - 1;
    while (i > 0 && s.size() - i < 4 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    size_t len;
    if (!is_space_at(s, i, len, python) || i + len != s.size()) break;
    s.remove_suffix(len);
  }
  return s;
}

size_t skip_space(std::string_view s, size_t i, bool python = false) {
  size_t len;
  while (i < s.size() && is_space_at(s, i, len, python)) i += len;
  return i;
}

}  // namespace

bool is_unicode_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace trine::model::tok

namespace trine::model {

using tok::Scratch;

std::vector<int> Tokenizer::encode(std::string_view text, bool add_bos) const {
  const Impl& t = *impl_;
  std::vector<int> out;
  out.reserve(text.size() / 3 + 4);
  if (add_bos) out.insert(out.end(), t.bos_prefix.begin(), t.bos_prefix.end());
  tok::MatchData m(t.regex->code());
  Scratch sc;
  size_t seg = 0;  // start of the text not yet encoded
  for (size_t pos = 0; pos < text.size();) {
    if (!t.specials.may_start(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      continue;
    }
    const auto [id, len] = t.specials.longest(text, pos);
    if (id < 0) {
      ++pos;
      continue;
    }
    std::string_view before = text.substr(seg, pos - seg);
    if (t.added_flags[size_t(id)] & Impl::kLstrip) before = tok::trim_end(before);
    tok::encode_plain(t, before, m, sc, out);
    out.push_back(id);
    pos += len;
    if (t.added_flags[size_t(id)] & Impl::kRstrip) pos = tok::skip_space(text, pos);
    seg = pos;
  }
  tok::encode_plain(t, text.substr(seg), m, sc, out);
  if (add_bos) out.insert(out.end(), t.bos_suffix.begin(), t.bos_suffix.end());
  return out;
}

namespace {
const std::string& bytes_of(const Tokenizer::Impl& t, int id) {
  if (id < 0 || id >= int(t.bytes.size()))
    throw Error(fmt::format("tokenizer: token id {} is out of range (vocabulary size {})", id, t.bytes.size()));
  return t.bytes[size_t(id)];
}
}  // namespace

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string out;
  size_t n = 0;
  for (int id : ids) n += bytes_of(*impl_, id).size();
  out.reserve(n);
  for (int id : ids) out += impl_->bytes[size_t(id)];
  return out;
}

std::string Tokenizer::token_text(int id) const { return bytes_of(*impl_, id); }

std::string Tokenizer::token_piece(int id) const {
  const std::string& b = bytes_of(*impl_, id);
  return impl_->added_flags[size_t(id)] & Impl::kAdded ? b : tok::bytes_to_piece(b);
}

bool Tokenizer::is_special(int id) const {
  bytes_of(*impl_, id);
  return impl_->added_flags[size_t(id)] & Impl::kAdded;
}

std::optional<int> Tokenizer::find_token(std::string_view text) const {
  if (auto it = impl_->added_ids.find(std::string(text)); it != impl_->added_ids.end()) return it->second;
  const int id = impl_->pieces.find(text);
  if (id >= 0) return id;
  return std::nullopt;
}

int Tokenizer::bos_id() const { return impl_->bos; }
int Tokenizer::eos_id() const { return impl_->eos; }
int Tokenizer::vocab_size() const { return int(impl_->bytes.size()); }

// ---- streaming -----------------------------------------------------------------------------

namespace {

// How many trailing bytes are the start of a character that later bytes could still complete.
// Anything that can never become valid UTF-8 is not held back.
size_t incomplete_tail(std::string_view s) {
  for (size_t k = 1; k <= 3 && k <= s.size(); ++k) {
    const size_t i = s.size() - k;
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: the lead is further back
    char32_t cp;
    const int n = tok::utf8_decode(s, i, cp);
    return n == -int(k) ? k : 0;  // cut short exactly at the end, with valid bytes so far
  }
  return 0;
}

}  // namespace

Tokenizer::StreamDecoder::StreamDecoder(const Tokenizer& tok) : impl_(tok.impl_) {}

std::string Tokenizer::StreamDecoder::push(int id) {
  pending_ += bytes_of(*impl_, id);
  const size_t hold = incomplete_tail(pending_);
  std::string out = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string Tokenizer::StreamDecoder::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

// ---- chat ----------------------------------------------------------------------------------

std::string render_chat(const std::vector<std::pair<std::string, std::string>>& turns, bool add_generation_prompt) {
  std::string out = "<|begin_of_text|>";
  for (const auto& [role, content] : turns) {
    // Jinja's capitalize: first character upper, the rest lower (ASCII; other bytes kept).
    for (size_t i = 0; i < role.size(); ++i) {
      const char c = role[i];
      if (i == 0 && c >= 'a' && c <= 'z') out += char(c - 'a' + 'A');
      else if (i > 0 && c >= 'A' && c <= 'Z') out += char(c - 'A' + 'a');
      else out += c;
    }
    out += ": ";
    // Jinja's trim strips Unicode whitespace at both ends.
    std::string_view body = content;
    body = body.substr(tok::skip_space(body, 0, true));
    body = tok::trim_end(body, true);
    out += body;
    out += "<|eot_id|>";
  }
  if (add_generation_prompt) out += "Assistant: ";
  return out;
}

}  // namespace trine::model
