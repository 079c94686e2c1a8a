// The composition example of docs/model.md, compiled and run: a user's own model built from the
// SDK's blocks (embedding, decoder blocks, norm, a small classification head) with a hand-written
// loss, trained a few steps with AdamW. Keep it in sync with the document.
#include <cmath>
#include <string>
#include <vector>

#include "dapt/nn/block.hpp"
#include "dapt/nn/embedding.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/nn/rms_norm.hpp"
#include "dapt/train/optimizer.hpp"
#include "dapt_catch.hpp"

// --- begin docs/model.md example ---
using namespace dapt;

// Classifies a token sequence from its last position: embedding -> blocks -> norm -> head.
class TinyClassifier {
 public:
  TinyClassifier(const io::LlamaConfig& c, std::int64_t classes)
      : rope_(c.rope, c.head_dim, c.max_position_embeddings), embed_(c.vocab_size, c.hidden_size),
        norm_(c.hidden_size, static_cast<float>(c.rms_norm_eps)), head_(c.hidden_size, classes) {
    Rng rng(1);
    embed_.init(rng, 0.02f);
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) blocks_.emplace_back(c);
    for (auto& b : blocks_) {
      b.set_rope(&rope_);  // blocks share one rotary table
      b.init(rng, 0.02f);
    }
    head_.init(rng, 0.02f);
  }

  // ids (B, T) int32 -> logits (B, T, classes); every layer keeps what its backward needs.
  TensorView<Cpu> forward(const TensorView<Cpu>& ids) {
    TensorView<Cpu> x = embed_.forward(ids);
    for (auto& b : blocks_) x = b.forward(x);
    return head_.forward(norm_.forward(x));
  }

  // Backward in reverse order; parameter gradients are added, activation gradients written.
  void backward(const TensorView<Cpu>& dlogits) {
    TensorView<Cpu> dx = norm_.backward(head_.backward(dlogits));
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) dx = it->backward(dx);
    embed_.backward(dx);
  }

  // One visitor serves the optimizer, clipping, checkpoints and freezing.
  void visit_parameters(const nn::ParamVisitor<Cpu>& fn) {
    embed_.visit_parameters(fn, "embed.");
    for (std::size_t i = 0; i < blocks_.size(); ++i) blocks_[i].visit_parameters(fn, "layers." + std::to_string(i) + ".");
    norm_.visit_parameters(fn, "norm.");
    head_.visit_parameters(fn, "head.");
  }

 private:
  ops::RopeTable rope_;
  nn::Embedding<Cpu> embed_;
  std::vector<nn::DecoderBlock<Cpu>> blocks_;
  nn::RmsNorm<Cpu> norm_;
  nn::Linear<Cpu> head_;
};

// Cross-entropy on the last position of each row; writes dlogits, returns the mean loss.
double last_token_loss(const TensorView<Cpu>& logits, const std::vector<int>& labels, const TensorView<Cpu>& dlogits) {
  const std::int64_t b = logits.dim(0), t = logits.dim(1), k = logits.dim(2);
  std::fill_n(dlogits.data<float>(), dlogits.numel(), 0.0f);
  double loss = 0;
  for (std::int64_t i = 0; i < b; ++i) {
    const float* z = logits.data<const float>() + (i * t + t - 1) * k;
    float* dz = dlogits.data<float>() + (i * t + t - 1) * k;
    const float mx = *std::max_element(z, z + k);
    double sum = 0;
    for (std::int64_t j = 0; j < k; ++j) sum += std::exp(z[j] - mx);
    loss += mx + std::log(sum) - z[labels[static_cast<std::size_t>(i)]];
    for (std::int64_t j = 0; j < k; ++j) dz[j] = static_cast<float>(std::exp(z[j] - mx) / sum / static_cast<double>(b));
    dz[labels[static_cast<std::size_t>(i)]] -= 1.0f / static_cast<float>(b);
  }
  return loss / static_cast<double>(b);
}
// --- end docs/model.md example ---

TEST_CASE("docs/model.md: a model composed from the SDK's blocks trains", "[nn][docs]") {
  io::LlamaConfig c;
  c.vocab_size = 50;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 32;
  c.rms_norm_eps = 1e-5;
  TinyClassifier model(c, 3);
  train::AdamW<Cpu> opt({.lr = 3e-3});
  // Class = the first token modulo 3, which the last position must learn to look back at.
  Tensor<Cpu> ids = Tensor<Cpu>::empty({6, 8}, DType::kI32);
  std::vector<int> labels;
  Rng rng(4);
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 8; ++j) ids.at<std::int32_t>({i, j}) = static_cast<std::int32_t>(rng.uniform_int(50));
    labels.push_back(ids.at<std::int32_t>({i, 0}) % 3);
  }
  Tensor<Cpu> dlogits = Tensor<Cpu>::empty({6, 8, 3}, DType::kF32);
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    train::zero_grad(model);
    const double loss = last_token_loss(model.forward(ids), labels, dlogits);
    model.backward(dlogits);
    opt.step(model);
    if (step == 0) first = loss;
    last = loss;
  }
  INFO("loss " << first << " -> " << last);
  CHECK(first > 0.9);
  CHECK(last < 0.1);
}
