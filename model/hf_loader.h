// A whole Hugging Face BitNet checkpoint (packed or master) loaded into ModelWeights.
#pragma once
#include <string>

#include "model/hf_config.h"
#include "runtime/model_weights.h"

namespace trine::model {

ModelWeights load_hf_model(const std::string& dir);

}  // namespace trine::model
