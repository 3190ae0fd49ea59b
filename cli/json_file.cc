#include "cli/json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include "fmt/format.h"

namespace credsim {
namespace {

using json = nlohmann::json;

// An input iterator over the text that publishes how far the parser has read, so that SAX
// events can be given a location (nlohmann's SAX interface only reports positions of errors).
struct TrackingIterator {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  const char* p = nullptr;
  const char** cursor = nullptr;

  reference operator*() const { return *p; }
  TrackingIterator& operator++() {
    ++p;
    *cursor = p;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& o) const { return p == o.p; }
  bool operator!=(const TrackingIterator& o) const { return p != o.p; }
};

struct LineColumn {
  size_t line = 1, column = 1;
};

LineColumn Locate(std::string_view text, size_t offset) {
  LineColumn lc;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      lc.column = 1;
    } else {
      ++lc.column;
    }
  }
  return lc;
}

std::string Where(std::string_view text, size_t offset) {
  const LineColumn lc = Locate(text, offset);
  return fmt::format("line {}, column {}", lc.line, lc.column);
}

// Builds the DOM like nlohmann's own parser, and checks keys, numbers and depth.
class StrictSax {
 public:
  StrictSax(std::string_view text, const char** cursor) : text_(text), cursor_(cursor) {}

  json& root() { return root_; }
  const std::string& error() const { return error_; }

  bool null() { return Add(json(nullptr)); }
  bool boolean(bool v) { return Add(json(v)); }
  bool number_integer(json::number_integer_t v) { return Add(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Add(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t& raw) {
    if (!std::isfinite(v)) {
      return Fail(fmt::format("{}: the number {} at {} does not fit a double (about ±1.8e308)",
                              Path(), raw, Where(text_, Offset())));
    }
    return Add(json(v));
  }
  bool string(json::string_t& v) { return Add(json(std::move(v))); }
  bool binary(json::binary_t& v) { return Add(json::binary(std::move(v))); }

  bool start_object(std::size_t) { return Open(json::object()); }
  bool key(json::string_t& k) {
    Frame& f = frames_.back();
    // The parser has just read the closing quote: find the opening one.
    size_t end = Offset();
    size_t start = end >= 2 ? end - 2 : 0;
    while (start > 0) {
      if (text_[start] == '"') {
        size_t backslashes = 0;
        for (size_t i = start; i > 0 && text_[i - 1] == '\\'; --i) ++backslashes;
        if (backslashes % 2 == 0) break;
      }
      --start;
    }
    auto [it, inserted] = f.keys.emplace(k, start);
    if (!inserted) {
      f.key = k;
      return Fail(fmt::format("{}: duplicate key \"{}\" at {} (first at {}); each key may appear "
                              "once per object",
                              Path(), k, Where(text_, start), Where(text_, it->second)));
    }
    f.key = std::move(k);
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(json::array()); }
  bool end_array() { return Close(); }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    if (!error_.empty()) return false;
    std::string what = ex.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 1, column 2: ";
    // the location is ours (below), so keep only the description.
    if (what.rfind("[json.exception.", 0) == 0) {
      if (const size_t close = what.find("] "); close != std::string::npos) what = what.substr(close + 2);
    }
    if (what.rfind("parse error", 0) == 0) {
      if (const size_t colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    }
    if (ex.id == 406) {  // out_of_range: a number that does not fit a double
      return Fail(fmt::format("{}: the number {} at {} does not fit a double (about ±1.8e308)",
                              Path(), last_token, Where(text_, position > 0 ? position - 1 : 0)));
    }
    return Fail(fmt::format("not valid JSON at {}: {}", Where(text_, position > 0 ? position - 1 : 0), what));
  }

 private:
  struct Frame {
    json* value;
    std::string key;                       // objects: the key being read
    size_t index = 0;                      // arrays: elements so far
    std::map<std::string, size_t> keys;    // objects: key → offset of its first occurrence
  };

  size_t Offset() const { return static_cast<size_t>(*cursor_ - text_.data()); }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  // JSON path of the value being read: the pending key of an object, the next index of an
  // array.
  std::string Path() const {
    std::string out;
    for (const Frame& f : frames_) {
      if (f.value->is_object()) {
        if (!out.empty()) out += '.';
        out += f.key;
      } else {
        out += fmt::format("[{}]", f.index);
      }
    }
    return out.empty() ? "(top level)" : out;
  }

  json* Place(json v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.value->is_array()) {
      f.value->push_back(std::move(v));
      return &f.value->back();
    }
    json& slot = (*f.value)[f.key];
    slot = std::move(v);
    return &slot;
  }
  bool Add(json v) {
    Place(std::move(v));
    if (!frames_.empty() && frames_.back().value->is_array()) ++frames_.back().index;
    return true;
  }
  bool Open(json container) {
    if (frames_.size() >= kMaxJsonDepth) {
      return Fail(fmt::format("{}: nested deeper than {} levels at {}; at most {} are accepted", Path(),
                              kMaxJsonDepth, Where(text_, Offset()), kMaxJsonDepth));
    }
    json* v = Place(std::move(container));
    frames_.push_back(Frame{v, {}, 0, {}});
    return true;
  }
  bool Close() {
    frames_.pop_back();
    if (!frames_.empty() && frames_.back().value->is_array()) ++frames_.back().index;
    return true;
  }

  std::string_view text_;
  const char** cursor_;
  json root_;
  std::vector<Frame> frames_;
  std::string error_;
};

}  // namespace

absl::StatusOr<json> ParseJsonText(std::string_view text, const std::string& name) {
  const char* cursor = text.data();
  StrictSax sax(text, &cursor);
  TrackingIterator first{text.data(), &cursor};
  TrackingIterator last{text.data() + text.size(), &cursor};
  bool ok = false;
  try {
    ok = json::sax_parse(first, last, &sax);
  } catch (const std::exception& e) {  // defensive: the SAX path reports through parse_error
    return absl::InvalidArgumentError(fmt::format("{}: not valid JSON: {}", name, e.what()));
  }
  if (!ok || !sax.error().empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", name, sax.error().empty() ? "not valid JSON" : sax.error()));
  }
  return std::move(sax.root());
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is rejected by fstat below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::NotFoundError(fmt::format("{}: cannot open file: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool dir = S_ISDIR(st.st_mode);
    ::close(fd);
    return absl::InvalidArgumentError(fmt::format(
        "{}: {}; expected a regular file", path, dir ? "is a directory" : "is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return absl::InvalidArgumentError(fmt::format("{}: {} bytes is too large; the limit is {} bytes",
                                                  path, static_cast<uint64_t>(st.st_size), max_bytes));
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : 0;
      ::close(fd);
      return absl::InvalidArgumentError(fmt::format("{}: cannot read file: {}", path,
                                                    err ? std::strerror(err) : "it shrank while being read"));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

absl::StatusOr<json> ReadJsonFile(const std::string& path, size_t max_bytes) {
  auto text = ReadRegularFile(path, max_bytes);
  if (!text.ok()) return text.status();
  return ParseJsonText(*text, path);
}

}  // namespace credsim
