// Every layer of nn/ passes the SDK's numerical gradient check (dapt/testing/grad_check.hpp):
// analytic input and parameter gradients against central differences, plus the contract that
// backward writes dx and adds into parameter gradients. Shapes are odd on purpose (GQA 3:1,
// head_dim 6, T not a multiple of any tile).
#include <string>

#include "dapt/nn/attention.hpp"
#include "dapt/nn/block.hpp"
#include "dapt/nn/embedding.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/nn/mlp.hpp"
#include "dapt/nn/rms_norm.hpp"
#include "dapt/testing/grad_check.hpp"
#include "dapt_catch.hpp"
#include "model_util.hpp"

using namespace dapt;

namespace {

io::LlamaConfig odd_config(io::RopeType rope = io::RopeType::kDefault) {
  io::LlamaConfig c;
  c.vocab_size = 37;
  c.hidden_size = 18;
  c.intermediate_size = 22;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 6;
  c.num_key_value_heads = 2;
  c.head_dim = 6;
  c.max_position_embeddings = 64;
  c.rms_norm_eps = 1e-5;
  c.rope.type = rope;
  c.rope.theta = 500.0;
  if (rope != io::RopeType::kDefault) c.rope.factor = 4.0;
  if (rope == io::RopeType::kLlama3) {
    c.rope.low_freq_factor = 1.0;
    c.rope.high_freq_factor = 4.0;
    c.rope.original_max_position_embeddings = 16;
  }
  return c;
}

template <class L>
void require_passes(L& layer, const Tensor<Cpu>& x, testing::GradCheckOptions opt = {}) {
  const testing::GradCheckResult r = testing::grad_check(layer, x, opt);
  INFO(r.report);
  REQUIRE(r.ok);
}

/// Attention over a packed batch: a Layer whose forward applies fixed segment ids and positions.
struct PackedAttention {
  nn::Attention<Cpu>* attn;
  Tensor<Cpu> seg, pos;
  TensorView<Cpu> forward(const TensorView<Cpu>& x) { return attn->forward(x, {pos.view(), seg.view()}); }
  TensorView<Cpu> backward(const TensorView<Cpu>& dy) { return attn->backward(dy); }
  void visit_parameters(const nn::ParamVisitor<Cpu>& fn) { attn->visit_parameters(fn); }
};

}  // namespace

TEST_CASE("grad check: Linear with and without bias, and with a frozen weight", "[nn][grad]") {
  Rng rng(1);
  nn::Linear<Cpu> lin(7, 5, true);
  lin.init(rng, 0.5f);
  nn::init_normal(lin.bias(), rng, 0.5f);
  require_passes(lin, dapt_test::normal_tensor({3, 4, 7}, 2));
  nn::Linear<Cpu> nob(9, 4, false);
  nob.init(rng, 0.5f);
  require_passes(nob, dapt_test::normal_tensor({5, 9}, 3));
  lin.weight().set_trainable(false);
  require_passes(lin, dapt_test::normal_tensor({2, 7}, 4));
  CHECK_FALSE(lin.weight().grad().defined());
}

TEST_CASE("grad check: Embedding (ids are not differentiable)", "[nn][grad]") {
  Rng rng(2);
  nn::Embedding<Cpu> emb(11, 6);
  emb.init(rng, 1.0f);
  Tensor<Cpu> ids = Tensor<Cpu>::empty({2, 5}, DType::kI32);
  const std::int32_t v[10] = {3, 3, 0, 10, 7, 1, 3, 9, 9, 2};  // repeated ids: the scatter adds
  std::copy(v, v + 10, ids.data<std::int32_t>());
  testing::GradCheckOptions opt;
  opt.check_input = false;
  require_passes(emb, ids, opt);
}

TEST_CASE("grad check: RmsNorm", "[nn][grad]") {
  nn::RmsNorm<Cpu> norm(13, 1e-5f);
  Rng rng(3);
  nn::init_normal(norm.weight(), rng, 1.0f);
  require_passes(norm, dapt_test::normal_tensor({4, 3, 13}, 5));
}

TEST_CASE("grad check: SwiGLU MLP", "[nn][grad]") {
  nn::Mlp<Cpu> mlp(10, 14);
  Rng rng(4);
  mlp.init(rng, 0.4f);
  require_passes(mlp, dapt_test::normal_tensor({2, 5, 10}, 6));
}

TEST_CASE("grad check: causal GQA attention with default, linear and llama3 RoPE", "[nn][grad]") {
  for (auto type : {io::RopeType::kDefault, io::RopeType::kLinear, io::RopeType::kLlama3}) {
    INFO("rope " << io::rope_type_name(type));
    const io::LlamaConfig c = odd_config(type);
    ops::RopeTable rope(c.rope, c.head_dim, c.max_position_embeddings);
    nn::Attention<Cpu> attn(c);
    attn.set_rope(&rope);
    Rng rng(5);
    attn.init(rng, 0.3f);
    require_passes(attn, dapt_test::normal_tensor({2, 9, 18}, 7));
  }
}

TEST_CASE("grad check: attention over packed documents (block-diagonal mask, reset positions)", "[nn][grad]") {
  const io::LlamaConfig c = odd_config();
  ops::RopeTable rope(c.rope, c.head_dim, c.max_position_embeddings);
  nn::Attention<Cpu> attn(c);
  attn.set_rope(&rope);
  Rng rng(6);
  attn.init(rng, 0.3f);
  PackedAttention packed{&attn, Tensor<Cpu>::empty({2, 10}, DType::kI32), Tensor<Cpu>::empty({2, 10}, DType::kI32)};
  const std::int32_t seg[20] = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6};
  std::copy(seg, seg + 20, packed.seg.data<std::int32_t>());
  nn::fill_positions(packed.pos.view(), packed.seg.view());
  CHECK(packed.pos.data<std::int32_t>()[3] == 0);
  CHECK(packed.pos.data<std::int32_t>()[9] == 2);
  require_passes(packed, dapt_test::normal_tensor({2, 10, 18}, 8));
}

TEST_CASE("grad check: decoder block (residuals, fused norm)", "[nn][grad]") {
  const io::LlamaConfig c = odd_config();
  ops::RopeTable rope(c.rope, c.head_dim, c.max_position_embeddings);
  nn::DecoderBlock<Cpu> block(c);
  block.set_rope(&rope);
  Rng rng(7);
  block.init(rng, 0.3f);
  nn::init_normal(block.input_layernorm().weight(), rng, 1.0f);
  nn::init_normal(block.post_attention_layernorm().weight(), rng, 1.0f);
  require_passes(block, dapt_test::normal_tensor({2, 7, 18}, 9));
  // A frozen attention costs no gradient work and the rest still checks out.
  block.self_attn().visit_parameters([](const std::string&, nn::Param<Cpu>& p) { p.set_trainable(false); });
  require_passes(block, dapt_test::normal_tensor({1, 6, 18}, 10));
}

TEST_CASE("layers satisfy the Layer concept", "[nn][layer]") {
  STATIC_REQUIRE(nn::Layer<nn::Linear<Cpu>, Cpu>);
  STATIC_REQUIRE(nn::Layer<nn::Embedding<Cpu>, Cpu>);
  STATIC_REQUIRE(nn::Layer<nn::RmsNorm<Cpu>, Cpu>);
  STATIC_REQUIRE(nn::Layer<nn::Mlp<Cpu>, Cpu>);
  STATIC_REQUIRE(nn::Layer<nn::Attention<Cpu>, Cpu>);
  STATIC_REQUIRE(nn::Layer<nn::DecoderBlock<Cpu>, Cpu>);
}
