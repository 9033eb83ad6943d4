"""Exports the project's own PyTorch EoMT (tests/fixtures/generate_eomt.py, the parity-fixture reference) to ONNX at a
published shape with its deterministic random weights, for the ONNX Runtime anchor (benchmarks only).

    /usr/bin/python3 benchmarks/onnx/export_eomt.py S-640 [B-640 ...]

Writes benchmarks/onnx/eomt-<config>.onnx (generated, gitignored). The graph is forward + semantic map, float32, batch 1,
input "pixel_values" (1, 3, S, S), output "semantic_map" (1, K, S, S): the same work `nativeengine bench forward` times.
attn_mask_probs are 0 (plain attention, as at inference), like the engine's EomtRandomWeights default.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures"))
import generate_eomt as ge  # noqa: E402

# name -> (C, layers, heads, image, L2): EomtRandomWeights.Published; patch 16, 4 registers, 100 queries, 19 classes.
PUBLISHED = {
    "S-640": (384, 12, 6, 640, 3),
    "B-640": (768, 12, 12, 640, 3),
    "L-640": (1024, 24, 16, 640, 4),
}


class EomtSemantic(torch.nn.Module):
    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.names = list(weights)
        for i, n in enumerate(self.names):  # buffers become the graph's initializers
            self.register_buffer(f"w{i}", weights[n])

    def forward(self, pixels):
        w = {n: getattr(self, f"w{i}") for i, n in enumerate(self.names)}
        out, _ = ge.forward(w, self.cfg, pixels, {})
        return ge.semantic_scores(out["class_queries_logits"], out["masks_queries_logits"], self.cfg["image_size"])


def export(name):
    c, layers, heads, image, l2 = PUBLISHED[name]
    cfg = ge.config(name, C=c, layers=layers, heads=heads, patch=16, image=image, R=4, L2=l2, Q=100, K=19)
    model = EomtSemantic(cfg, ge.make_weights(cfg, seed=1, probs=[0.0] * l2)).eval()
    pixels = torch.rand(1, 3, image, image) * 4 - 2
    path = os.path.join(HERE, f"eomt-{name}.onnx")
    with torch.no_grad():
        torch.onnx.export(model, (pixels,), path, input_names=["pixel_values"], output_names=["semantic_map"],
                          opset_version=17, do_constant_folding=True)
    print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    for n in sys.argv[1:] or ["S-640"]:
        export(n)
