#include "bench/decode_layer.h"

#include <cstring>
#include <sstream>

#include "runtime/engine.h"

namespace trine::bench {

namespace {

constexpr std::size_t kMatrixAlign = 4096;  // as the engine's weight arena places matrices

bool label_names(const std::string& label, const std::string& proj) {
  std::stringstream ss(label);
  for (std::string part; std::getline(ss, part, ',');)
    if (part == proj) return true;
  return false;
}

const BenchItem* layer_item(const std::vector<BenchItem>& items, const std::string& proj) {
  const BenchItem* first = nullptr;
  for (const BenchItem& it : items) {
    if (it.N != 1 || !label_names(it.label, proj)) continue;
    if (it.in_layer) return &it;
    if (!first) first = &it;
  }
  return first;
}

}  // namespace

std::unique_ptr<DecodeLayer> DecodeLayer::build(const std::vector<BenchItem>& items, std::size_t cold_bytes, int threads) {
  auto layer = std::make_unique<DecodeLayer>();
  std::size_t at = 0;
  for (const char* proj : kProjectionNames) {
    const BenchItem* it = layer_item(items, proj);
    if (!it) return nullptr;
    auto s = std::make_unique<Step>();
    s->proj = proj;
    s->item = it;
    s->offset = at;
    at += (it->packed.size_bytes() + kMatrixAlign - 1) / kMatrixAlign * kMatrixAlign;
    layer->bytes_ += static_cast<double>(it->packed.size_bytes());
    s->ws.prepare(it->data->acts, it->packed.wscale, threads);
    s->y.resize(static_cast<std::size_t>(it->M));
    s->timed.fn = it->fn;
    s->timed.args = make_gemm_args(nullptr, it->M, it->K, it->data->acts, s->ws, s->y.data(), it->M);
    layer->steps_.push_back(std::move(s));
  }
  AlignedBuffer<uint8_t> one(at);
  for (const auto& s : layer->steps_) std::memcpy(one.data() + s->offset, s->item->packed.data(), s->item->packed.size_bytes());
  layer->copies_ = std::make_unique<ColdCopies>(one.data(), at, cold_bytes);
  return layer;
}

void DecodeLayer::time(ThreadPool& pool, int passes) {
  for (int p = 0; p < passes; ++p) {
    const uint8_t* copy = copies_->next();
    double pass = 0;
    for (auto& s : steps_) {
      s->timed.args.w = copy + s->offset;
      s->timed.samples.push_back(time_call(pool, s->timed));
      pass += s->timed.samples.back();
    }
    pass_s_.push_back(pass);
  }
}

void DecodeLayer::end_round(double probe_gbps) {
  const std::size_t from = round_from_;
  for (auto& s : steps_) {
    const double t = round_median(s->timed.samples, from);
    s->frac_bw.push_back(static_cast<double>(s->item->packed.size_bytes()) / t / 1e9 / probe_gbps);
  }
  total_frac_bw_.push_back(bytes_ / round_median(pass_s_, from) / 1e9 / probe_gbps);
  round_from_ = pass_s_.size();
}

void DecodeLayer::clear() {
  for (auto& s : steps_) s->timed.samples.clear();
  pass_s_.clear();
  round_from_ = 0;
}

std::vector<LayerRow> DecodeLayer::rows() const {
  std::vector<LayerRow> out;
  for (const auto& s : steps_) {
    LayerRow r{s->proj, s->item->family, s->item->isa, s->item->config, s->item->M, s->item->K};
    r.stats = summarize(s->timed.samples);
    r.weight_bytes = static_cast<double>(s->item->packed.size_bytes());
    r.gbps = r.weight_bytes / r.stats.median_s / 1e9;
    r.frac_read_bw = summarize(s->frac_bw).median_s;
    out.push_back(r);
  }
  return out;
}

LayerTotal DecodeLayer::total() const {
  LayerTotal t;
  t.stats = summarize(pass_s_);
  t.weight_bytes = bytes_;
  t.gbps = bytes_ / t.stats.median_s / 1e9;
  t.frac_read_bw = summarize(total_frac_bw_).median_s;
  return t;
}

}  // namespace trine::bench
