#include "ferry/batch/progress.h"

#include <cinttypes>
#include <cmath>

namespace ferry::batch {

std::string GroupDigits(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

namespace {

std::string Duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  int64_t t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%" PRId64 ":%02d:%02d", t / 3600, static_cast<int>(t / 60 % 60),
                static_cast<int>(t % 60));
  return buf;
}

}  // namespace

void ProgressPrinter::Update(const BatchProgress& p) {
  if (p.seconds - last_s_ < interval_s_) return;
  last_s_ = p.seconds;
  const double rate = p.seconds > 0 ? static_cast<double>(p.rows_this_run) / p.seconds : 0;
  const double frac = p.bytes_total > 0
                          ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total)
                          : -1;
  const double eta = frac > 0 ? p.seconds * (1 - frac) / frac : -1;
  std::string bytes = HumanBytes(p.bytes_done);
  if (p.bytes_total > 0) bytes += " / " + HumanBytes(p.bytes_total);
  if (terminal_) {
    std::string bar;
    if (frac >= 0) {
      const int width = 24;
      int filled = static_cast<int>(std::min(1.0, frac) * width);
      bar = "[" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(width - filled), '.') + "] " +
            std::to_string(static_cast<int>(frac * 100)) + "%  ";
    }
    std::fprintf(out_, "\r\033[K%s%s rows  %s rows/s  %s  ETA %s", bar.c_str(),
                 GroupDigits(p.rows_scored).c_str(),
                 GroupDigits(static_cast<int64_t>(rate)).c_str(), bytes.c_str(),
                 Duration(eta).c_str());
    drawn_ = true;
  } else {
    std::fprintf(
        out_, "progress: %s rows scored, %s skipped, %s rows/s, %s%s, ETA %s\n",
        GroupDigits(p.rows_scored).c_str(), GroupDigits(p.rows_skipped).c_str(),
        GroupDigits(static_cast<int64_t>(rate)).c_str(), bytes.c_str(),
        frac >= 0 ? (" (" + std::to_string(static_cast<int>(frac * 100)) + "%)").c_str() : "",
        Duration(eta).c_str());
  }
  std::fflush(out_);
}

void ProgressPrinter::Finish() {
  if (terminal_ && drawn_) std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
}

std::string FormatSummary(const BatchSummary& s) {
  char buf[512];
  std::string out;
  const double rate = s.seconds > 0 ? static_cast<double>(s.rows_this_run) / s.seconds : 0;
  std::snprintf(
      buf, sizeof(buf), "scored %s rows, skipped %s, in %.2f s (%s rows/s, %s read)%s\n",
      GroupDigits(s.rows_scored).c_str(), GroupDigits(s.rows_skipped).c_str(), s.seconds,
      GroupDigits(static_cast<int64_t>(rate)).c_str(), HumanBytes(s.input_bytes_this_run).c_str(),
      s.resumed ? (", resumed: " + GroupDigits(s.rows_this_run) + " rows this run").c_str() : "");
  out += buf;
  const ScoreStats& st = s.stats;
  if (st.count() > 0) {
    std::snprintf(buf, sizeof(buf),
                  "scores: count %s, mean %.6g, min %.6g, p05 %.6g, p25 %.6g, p50 %.6g, p75 %.6g, "
                  "p95 %.6g, max %.6g%s\n",
                  GroupDigits(st.count()).c_str(), st.mean(), st.min(), st.Quantile(0.05),
                  st.Quantile(0.25), st.Quantile(0.5), st.Quantile(0.75), st.Quantile(0.95),
                  st.max(),
                  st.nan_count() > 0 ? (", NaN " + GroupDigits(st.nan_count())).c_str() : "");
    out += buf;
  }
  if (s.rows_skipped > 0 && !s.errors_path.empty() && s.errors_path != "-") {
    out += "bad rows listed in " + s.errors_path + "\n";
  }
  return out;
}

}  // namespace ferry::batch
