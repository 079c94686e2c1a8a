"""Loads the adapter that write_adapter.cpp saved with PeftModel.from_pretrained on the tiny
fixture and compares peft's logits with dapt's (relative L2); exits 1 above 1e-5."""
import sys

import numpy as np
import torch
from peft import PeftModel
from safetensors.numpy import load_file
from transformers import LlamaForCausalLM

out, model_dir = sys.argv[1], sys.argv[2]
ref = load_file(f"{out}/logits.safetensors")
ids = torch.from_numpy(ref["ids"].astype(np.int64))
base = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
with torch.no_grad():
    plain = base(input_ids=ids).logits.numpy()
model = PeftModel.from_pretrained(base, f"{out}/adapter").eval()
with torch.no_grad():
    adapted = model(input_ids=ids).logits.numpy()
norm = np.linalg.norm(ref["logits"])
err = np.linalg.norm(adapted - ref["logits"]) / norm
print(f"peft loaded dapt's adapter: logits relative L2 {err:.3g} "
      f"(the base model differs by {np.linalg.norm(plain - ref['logits']) / norm:.3g})")
sys.exit(0 if err < 1e-5 else 1)
