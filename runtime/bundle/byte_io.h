// Little-endian encoding of bundle sections: ByteWriter (compile side) and ByteReader (bounds-
// checked, sticky error, never reads past its span). Strings go through a StringTable so every
// section refers to them by index. Entry points: ByteWriter, ByteReader, StringTable.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace meshc::bundle {

/// Interns strings in first-use order (deterministic for a deterministic traversal).
class StringTable {
 public:
  uint32_t intern(std::string_view s) {
    auto it = index_.find(std::string(s));
    if (it != index_.end()) {
      return it->second;
    }
    uint32_t id = static_cast<uint32_t>(strings_.size());
    strings_.emplace_back(s);
    index_.emplace(strings_.back(), id);
    return id;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, uint32_t> index_;
};

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  }
  void bytes(std::string_view b) { out_.append(b); }
  /// A string stored inline: u32 size then the bytes.
  void inlineString(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(s);
  }
  void padTo(size_t alignment) {
    while (out_.size() % alignment != 0) {
      out_.push_back('\0');
    }
  }
  size_t size() const { return out_.size(); }
  std::string& buffer() { return out_; }

 private:
  std::string out_;
};

/// Reads from a span; the first failure sets error() (with the offset) and every later read
/// returns zero / empty, so decoders can read a whole record and check once.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  uint8_t u8() {
    if (!need(1)) {
      return 0;
    }
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint32_t u32() {
    if (!need(4)) {
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      v |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += 4;
    return v;
  }
  uint64_t u64() {
    if (!need(8)) {
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return v;
  }
  std::string_view bytes(size_t n) {
    if (!need(n)) {
      return {};
    }
    std::string_view b = data_.substr(pos_, n);
    pos_ += n;
    return b;
  }
  std::string_view inlineString() { return bytes(u32()); }
  /// A u32 element count, refused when `count * min_element_size` exceeds what is left (so a
  /// corrupt count cannot make the decoder allocate gigabytes).
  uint32_t count(size_t min_element_size) {
    uint32_t n = u32();
    if (ok() && static_cast<uint64_t>(n) * min_element_size > data_.size() - pos_) {
      fail("count " + std::to_string(n) + " exceeds the " + std::to_string(data_.size() - pos_) +
           " bytes left");
      return 0;
    }
    return n;
  }
  void fail(const std::string& message) {
    if (error_.empty()) {
      error_ = "at byte " + std::to_string(pos_) + ": " + message;
      pos_ = data_.size();
    }
  }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool atEnd() const { return pos_ == data_.size(); }
  size_t position() const { return pos_; }

 private:
  bool need(size_t n) {
    if (!error_.empty()) {
      return false;
    }
    if (data_.size() - pos_ < n) {
      fail("needs " + std::to_string(n) + " bytes, " + std::to_string(data_.size() - pos_) +
           " left");
      return false;
    }
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
  std::string error_;
};

/// Little-endian loads for the header (callers check the length first).
inline uint32_t loadU32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  }
  return v;
}
inline uint64_t loadU64(std::string_view b, size_t at) {
  return static_cast<uint64_t>(loadU32(b, at)) | (static_cast<uint64_t>(loadU32(b, at + 4)) << 32);
}
inline void storeU32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}
inline void storeU64(std::string& b, size_t at, uint64_t v) {
  storeU32(b, at, static_cast<uint32_t>(v));
  storeU32(b, at + 4, static_cast<uint32_t>(v >> 32));
}

}  // namespace meshc::bundle
