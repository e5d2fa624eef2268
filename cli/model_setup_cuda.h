// `--device cuda` in the model commands (run, logits, chat, perplexity, bench -m), where the build
// has CUDA and the JIT: the GPU is found before any model is read, the engine built once it is.
#pragma once
#include "cli/model_setup.h"

namespace trine::cli {

// Throws Error saying why when no usable GPU is there.
EngineFactory cuda_engine_factory(const ModelArgs& a);

// The first GPU's device-to-device copy bandwidth (read + written bytes per second), measured now.
double gpu_copy_gbps();

}  // namespace trine::cli
