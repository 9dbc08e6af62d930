// The ceilings for `ferry batch`: (1) XGBoost's C API scoring rows already in memory
// (XGBoosterPredictFromDense, blocks of 65,536 rows, nthread = --threads), and (2) Ferry's CSV
// chunk parser alone on one core (MB/s; the time of its Parse calls, chunks already in memory).
// Prints one JSON object. Usage: ferry_raw_xgboost_bench MODEL.json DATA.csv THREADS
#include <xgboost/c_api.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ferry/batch/byte_source.h"
#include "ferry/batch/chunk_parser.h"
#include "ferry/batch/chunk_reader.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Die(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ferry;
  if (argc != 4) return Die("usage: ferry_raw_xgboost_bench MODEL.json DATA.csv THREADS");
  const int threads = std::atoi(argv[3]);

  // Read the whole file into chunks first (I/O is not part of either measurement).
  auto src = batch::ByteSource::Open(argv[2]);
  if (!src.ok()) return Die(src.status().message());
  auto header = batch::ReadCsvHeader(**src, 1 << 20);
  if (!header.ok()) return Die(header.status().message());
  batch::ChunkReaderOptions ro;
  ro.chunk_bytes = 4 << 20;
  batch::ChunkReader reader(**src, ro, header->carry);
  std::vector<batch::Chunk> chunks;
  uint64_t bytes = 0;
  while (true) {
    batch::Chunk c;
    auto more = reader.Next(&c);
    if (!more.ok()) return Die(more.status().message());
    if (!*more) break;
    bytes += c.size;
    chunks.push_back(std::move(c));
  }

  predict::RowLayout layout;
  layout.num_features = static_cast<int64_t>(header->columns.size()) - 1;
  layout.key_column = "id";
  auto binding = batch::BindCsv(argv[2], header->columns, layout);
  if (!binding.ok()) return Die(binding.status().message());
  auto parser = batch::NewCsvChunkParser(*binding);
  std::vector<float> matrix;
  batch::ParsedChunk parsed;
  int64_t rows = 0;
  double parse_s = 0;  // the parser alone: not the copy into one big matrix for XGBoost
  for (const auto& c : chunks) {
    auto t0 = std::chrono::steady_clock::now();
    if (!parser->Parse(c, &parsed).ok()) return Die("parse failed");
    parse_s += Seconds(t0);
    matrix.insert(matrix.end(), parsed.features.begin(), parsed.features.end());
    rows += parsed.rows;
  }

  BoosterHandle booster;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0 || XGBoosterLoadModel(booster, argv[1]) != 0 ||
      XGBoosterSetParam(booster, "nthread", std::to_string(threads).c_str()) != 0) {
    return Die(XGBGetLastError());
  }
  const int64_t cols = layout.num_features;
  const char* config =
      "{\"type\":0,\"cache_id\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
      "\"strict_shape\":false,\"missing\":NaN}";
  const int64_t block = 65536;
  double checksum = 0;
  auto t1 = std::chrono::steady_clock::now();
  for (int64_t at = 0; at < rows; at += block) {
    const int64_t n = std::min(block, rows - at);
    char array[256];
    std::snprintf(
        array, sizeof(array),
        "{\"data\":[%llu,true],\"shape\":[%lld,%lld],\"typestr\":\"<f4\",\"version\":3}",
        static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(matrix.data() + at * cols)),
        static_cast<long long>(n), static_cast<long long>(cols));
    const bst_ulong* shape;
    bst_ulong dim;
    const float* out;
    if (XGBoosterPredictFromDense(booster, array, config, nullptr, &shape, &dim, &out) != 0) {
      return Die(XGBGetLastError());
    }
    checksum += out[0];
  }
  const double predict_s = Seconds(t1);
  XGBoosterFree(booster);
  std::printf(
      "{\"rows\":%lld,\"threads\":%d,\"raw_predict_s\":%.3f,\"raw_rows_per_s\":%.0f,"
      "\"parse_s_1core\":%.3f,\"parse_mb_per_s_1core\":%.1f,\"checksum\":%.6f}\n",
      static_cast<long long>(rows), threads, predict_s, static_cast<double>(rows) / predict_s,
      parse_s, static_cast<double>(bytes) / 1e6 / parse_s, checksum);
  return 0;
}
