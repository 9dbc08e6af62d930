// Golden tests of the HTTP surface: each file in tests/protocol/golden/ is
// one feature; each case is a raw request and the exact status (and
// headers) and body expected, sent to the real serving stack on port 0.
//
// Case syntax:
//   === name
//   METHOD /target HTTP/1.1        request line, then header lines, then a blank line
//   Header: value
//
//   body (its last newline dropped)
//   --- STATUS [Header: value]     expected status and optional header
//   expected body ('*' matches any text; empty = empty body)
// Host and Content-Length are added unless given. With
// "Transfer-Encoding: chunked", body lines "~~" split the chunks. In requests,
// {{ROW}} is the example's first row (30 numbers, comma-separated),
// {{PAD:N}} N spaces and {{X:N}} N letters 'x'.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "raw_client.h"
#include "test_server.h"
#include "testing/test_util.h"

namespace ferry::testing {
namespace {

struct GoldenCase {
  std::string name;
  std::string request;  // bytes on the wire
  int status = 0;
  std::string header_name, header_value;  // lower-case name; empty: none checked
  std::string body;
};

std::string Expand(std::string s) {
  for (size_t pos; (pos = s.find("{{ROW}}")) != std::string::npos;) {
    s.replace(pos, 7, ExampleRowCsv());
  }
  for (const char* tag : {"{{PAD:", "{{X:"}) {
    for (size_t pos; (pos = s.find(tag)) != std::string::npos;) {
      size_t end = s.find("}}", pos);
      size_t n = std::stoul(s.substr(pos + std::strlen(tag), end - pos - std::strlen(tag)));
      s.replace(pos, end + 2 - pos, std::string(n, tag[2] == 'P' ? ' ' : 'x'));
    }
  }
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string BuildRequest(const std::vector<std::string>& head,
                         const std::vector<std::string>& body_lines) {
  std::string head_text;
  bool chunked = false, has_length = false, has_host = false;
  for (const std::string& h : head) {
    std::string l = Lower(h);
    chunked = chunked || l.starts_with("transfer-encoding: chunked");
    has_length = has_length || l.starts_with("content-length:");
    has_host = has_host || l.starts_with("host:");
    head_text += Expand(h) + "\r\n";
  }
  std::string body;
  if (chunked) {
    std::vector<std::string> chunks(1);
    for (const std::string& l : body_lines) {
      if (l == "~~") {
        chunks.emplace_back();
      } else {
        chunks.back() += Expand(l);
      }
    }
    for (const std::string& c : chunks) {
      std::ostringstream hex;
      hex << std::hex << c.size();
      body += hex.str() + "\r\n" + c + "\r\n";
    }
    body += "0\r\n\r\n";
  } else {
    for (size_t i = 0; i < body_lines.size(); ++i) {
      if (i > 0) body += "\n";
      body += Expand(body_lines[i]);
    }
  }
  // Request line first, then the added headers.
  size_t eol = head_text.find("\r\n");
  std::string added;
  if (!has_host) added += "Host: golden\r\n";
  if (!has_length && !chunked) added += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return head_text.substr(0, eol + 2) + added + head_text.substr(eol + 2) + "\r\n" + body;
}

std::vector<GoldenCase> ReadCases(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<GoldenCase> cases;
  std::string line;
  enum { kNone, kHead, kBody, kExpect } where = kNone;
  std::vector<std::string> head, body, expect;
  auto flush = [&] {
    if (cases.empty()) return;
    cases.back().request = BuildRequest(head, body);
    std::string b;
    for (size_t i = 0; i < expect.size(); ++i) b += (i ? "\n" : "") + expect[i];
    cases.back().body = b;
    head.clear();
    body.clear();
    expect.clear();
  };
  while (std::getline(in, line)) {
    if (line.starts_with("=== ")) {
      flush();
      cases.push_back({});
      cases.back().name = line.substr(4);
      where = kHead;
    } else if (where != kNone && line.starts_with("--- ")) {
      GoldenCase& c = cases.back();
      std::istringstream s(line.substr(4));
      s >> c.status;
      std::string rest;
      std::getline(s, rest);
      size_t colon = rest.find(':');
      if (colon != std::string::npos) {
        c.header_name =
            Lower(rest.substr(rest.find_first_not_of(' '), colon - rest.find_first_not_of(' ')));
        c.header_value = rest.substr(rest.find_first_not_of(' ', colon + 1));
      }
      where = kExpect;
    } else if (where == kHead) {
      if (line.empty()) {
        where = kBody;
      } else {
        head.push_back(line);
      }
    } else if (where == kBody) {
      body.push_back(line);
    } else if (where == kExpect) {
      expect.push_back(line);
    }
  }
  flush();
  return cases;
}

// '*' matches any run of characters.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

TestServerOptions GoldenOptions() {
  TestServerOptions o;
  o.http.max_body_bytes = 8192;
  o.http.max_header_bytes = 1024;
  o.http.read_timeout_ms = 5000;
  o.limits.max_rows_per_request = 4;
  o.limits.max_json_depth = 8;
  o.token = "s3cret";
  return o;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(GoldenOptions()); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static TestServer* server_;
};
TestServer* GoldenTest::server_ = nullptr;

TEST_P(GoldenTest, MatchesExpectedReplies) {
  const auto file = SourceDir() / "tests/protocol/golden" / (GetParam() + ".txt");
  std::vector<GoldenCase> cases = ReadCases(file);
  ASSERT_FALSE(cases.empty()) << file;
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(GetParam() + ": " + c.name);
    RawClient client(server_->port());
    ASSERT_TRUE(client.Send(c.request));
    RawResponse r = client.Read();
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_TRUE(GlobMatch(c.body, r.body)) << "expected: " << c.body << "\n     got: " << r.body;
    if (!c.header_name.empty()) {
      EXPECT_EQ(r.headers[c.header_name], c.header_value) << c.header_name;
    }
    if (r.status >= 400) {
      EXPECT_EQ(r.headers["content-type"], "application/json");
    }
  }
  // The server keeps serving after every case.
  RawClient client(server_->port());
  ASSERT_TRUE(client.Send(HttpRequestBytes("GET", "/v2/health/live", "")));
  EXPECT_EQ(client.Read().status, 200);
}

INSTANTIATE_TEST_SUITE_P(Features, GoldenTest,
                         ::testing::Values("health_metadata", "infer", "infer_errors", "limits",
                                           "repository_stats_metrics"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ferry::testing
