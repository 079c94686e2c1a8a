/// @file consumer_main.cpp
/// @brief A program outside the dapt tree, built against the installed package (find_package)
/// and against the source tree (add_subdirectory): it writes a safetensors file, reads it back
/// and checks the values, so the package's headers and link dependencies are really exercised.
#include <cstdio>

#include <dapt/dapt.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.safetensors\n", argv[0]);
    return 2;
  }
  try {
    auto t = dapt::Tensor<dapt::Cpu>::empty({2, 3}, dapt::DType::kBF16);
    const float values[6] = {1.0f, -2.0f, 0.5f, 3.0f, 0.25f, -8.0f};
    dapt::convert_from_f32(values, dapt::DType::kBF16, t.raw(), 6);
    dapt::io::save_safetensors(argv[1], {{"w", t.view()}}, {{"format", "pt"}});
    const auto back = dapt::io::SafetensorsFile::open(argv[1]).to_f32("w");
    for (int i = 0; i < 6; ++i)
      if (back.data<float>()[i] != values[i]) {
        std::fprintf(stderr, "value %d differs\n", i);
        return 1;
      }
    std::printf("dapt %s consumer: ok (%d threads)\n", DAPT_VERSION_STRING, dapt::num_threads());
    return 0;
  } catch (const dapt::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
