#include "ferry/pipeline/condition.h"

#include <cctype>

namespace ferry::pipeline {

struct Condition::Node {
  enum class Kind { kLiteral, kRef, kNot, kAnd, kOr, kEq, kNe };
  Kind kind = Kind::kLiteral;
  std::string literal;
  size_t ref = 0;  // index into refs_
  std::unique_ptr<Node> a, b;
};

namespace {

using Node = Condition::Node;

class Parser {
 public:
  Parser(std::string_view text, std::vector<Reference>* refs) : text_(text), refs_(refs) {}

  Result<std::unique_ptr<Node>> ParseAll() {
    FERRY_ASSIGN_OR_RETURN(auto node, Or());
    SkipSpace();
    if (pos_ < text_.size()) return Error("unexpected '" + std::string(text_.substr(pos_)) + "'");
    return node;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("when: " + what + " at offset " + std::to_string(pos_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool Take(std::string_view tok) {
    SkipSpace();
    if (text_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  static std::unique_ptr<Node> Binary(Node::Kind kind, std::unique_ptr<Node> a,
                                      std::unique_ptr<Node> b) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }

  Result<std::unique_ptr<Node>> Or() {
    FERRY_ASSIGN_OR_RETURN(auto left, And());
    while (Take("||")) {
      FERRY_ASSIGN_OR_RETURN(auto right, And());
      left = Binary(Node::Kind::kOr, std::move(left), std::move(right));
    }
    return left;
  }
  Result<std::unique_ptr<Node>> And() {
    FERRY_ASSIGN_OR_RETURN(auto left, Unary());
    while (Take("&&")) {
      FERRY_ASSIGN_OR_RETURN(auto right, Unary());
      left = Binary(Node::Kind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }
  Result<std::unique_ptr<Node>> Unary() {
    SkipSpace();
    if (text_.substr(pos_, 2) != "!=" && Take("!")) {
      FERRY_ASSIGN_OR_RETURN(auto inner, Unary());
      return Binary(Node::Kind::kNot, std::move(inner), nullptr);
    }
    FERRY_ASSIGN_OR_RETURN(auto left, Operand());
    if (Take("==")) {
      FERRY_ASSIGN_OR_RETURN(auto right, Operand());
      return Binary(Node::Kind::kEq, std::move(left), std::move(right));
    }
    if (Take("!=")) {
      FERRY_ASSIGN_OR_RETURN(auto right, Operand());
      return Binary(Node::Kind::kNe, std::move(left), std::move(right));
    }
    return left;
  }
  Result<std::unique_ptr<Node>> Operand() {
    SkipSpace();
    if (pos_ >= text_.size()) return Error("expected a value");
    auto n = std::make_unique<Node>();
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      FERRY_ASSIGN_OR_RETURN(auto inner, Or());
      if (!Take(")")) return Error("expected ')'");
      return inner;
    }
    if (text_.substr(pos_, 3) == "${{") {
      size_t close = text_.find("}}", pos_ + 3);
      if (close == std::string_view::npos) {
        return Error("unterminated expression: '${{' without a closing '}}'");
      }
      Result<Reference> ref = ParseReference(text_.substr(pos_ + 3, close - pos_ - 3));
      if (!ref.ok()) return InvalidArgument("when: " + ref.status().message());
      ref->offset = pos_;
      ref->length = close + 2 - pos_;
      n->kind = Node::Kind::kRef;
      n->ref = refs_->size();
      refs_->push_back(std::move(*ref));
      pos_ = close + 2;
      return n;
    }
    if (c == '\'' || c == '"') {
      size_t close = text_.find(c, pos_ + 1);
      if (close == std::string_view::npos) return Error("unterminated string");
      n->literal = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      return n;
    }
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
            text_[pos_] == '_' || text_[pos_] == '-')) {
      ++pos_;
    }
    std::string word(text_.substr(start, pos_ - start));
    if (word.empty()) {
      return Error("unexpected '" + std::string(1, c) + "'");
    }
    bool number =
        std::isdigit(static_cast<unsigned char>(word[0])) || (word[0] == '-' && word.size() > 1);
    if (word != "true" && word != "false" && !number) {
      pos_ = start;
      return Error("unquoted word '" + word + "'; quote strings ('" + word + "') or use ${{ … }}");
    }
    n->literal = word;
    return n;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Reference>* refs_;
};

bool Truthy(const std::string& v) { return !v.empty() && v != "false" && v != "0"; }

Result<std::string> Eval(const Node& n, const std::vector<Reference>& refs,
                         const Resolver& resolve) {
  auto boolean = [](bool b) { return std::string(b ? "true" : "false"); };
  switch (n.kind) {
    case Node::Kind::kLiteral:
      return n.literal;
    case Node::Kind::kRef:
      return resolve(refs[n.ref]);
    case Node::Kind::kNot: {
      FERRY_ASSIGN_OR_RETURN(std::string a, Eval(*n.a, refs, resolve));
      return boolean(!Truthy(a));
    }
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      FERRY_ASSIGN_OR_RETURN(std::string a, Eval(*n.a, refs, resolve));
      bool left = Truthy(a);
      if (n.kind == Node::Kind::kAnd && !left) return boolean(false);
      if (n.kind == Node::Kind::kOr && left) return boolean(true);
      FERRY_ASSIGN_OR_RETURN(std::string b, Eval(*n.b, refs, resolve));
      return boolean(Truthy(b));
    }
    case Node::Kind::kEq:
    case Node::Kind::kNe: {
      FERRY_ASSIGN_OR_RETURN(std::string a, Eval(*n.a, refs, resolve));
      FERRY_ASSIGN_OR_RETURN(std::string b, Eval(*n.b, refs, resolve));
      return boolean((a == b) == (n.kind == Node::Kind::kEq));
    }
  }
  return Internal("bad condition node");
}

}  // namespace

Condition::Condition() = default;
Condition::Condition(Condition&&) noexcept = default;
Condition& Condition::operator=(Condition&&) noexcept = default;
Condition::~Condition() = default;

Result<Condition> Condition::Parse(std::string_view text) {
  Condition c;
  Parser parser(text, &c.refs_);
  FERRY_ASSIGN_OR_RETURN(c.root_, parser.ParseAll());
  return c;
}

Result<bool> Condition::Evaluate(const Resolver& resolve) const {
  FERRY_ASSIGN_OR_RETURN(std::string v, Eval(*root_, refs_, resolve));
  return Truthy(v);
}

}  // namespace ferry::pipeline
