"""Real-scale EoMT checkpoint manifests: the names, dtypes and shapes of the published checkpoints, without data.

Regenerate (no torch needed):  python3 weights-tools/manifests/generate_manifests.py
Source of every shape: ../shared/specs/eomt.md §5.1 (original tue-mps/eomt names), §5.2 (Hugging Face names),
§5.3 (config.json keys, published values, parameter counts) and seed.md §1.5 (the seed's EoMT-EXT Lightning ckpt).
This script applies those shape rules independently of the C# code; the tests check that the C# key maps and
architecture inference accept each manifest and reproduce the parameter counts quoted in §5.3.
dtype: written as F32 (the real files' dtype is not known from the spec; the loader accepts F32/F16/BF16).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# hub id, C, layers, heads, image, queries, L2, K, swiglu, quoted parameter count (eomt.md §5.3; None = not quoted)
MODELS = [
    ("tue-mps/coco_panoptic_eomt_small_640_2x", "S-640", 384, 12, 6, 640, 200, 3, 133, False, "23.98 M"),
    ("tue-mps/coco_panoptic_eomt_base_640_2x", "B-640", 768, 12, 12, 640, 200, 3, 133, False, "93.66 M"),
    ("tue-mps/coco_panoptic_eomt_large_640", "L-640", 1024, 24, 16, 640, 200, 4, 133, False, "316.70 M"),
    ("tue-mps/coco_panoptic_eomt_large_1280", "L-1280", 1024, 24, 16, 1280, 200, 4, 133, False, "321.61 M"),
    ("tue-mps/cityscapes_semantic_eomt_large_1024", "L-1024-cityscapes", 1024, 24, 16, 1024, 100, 4, 19, False, "319.03 M"),
    ("tue-mps/ade20k_semantic_eomt_large_512", "L-512-ade", 1024, 24, 16, 512, 100, 4, 150, False, "316.02 M"),
    ("tue-mps/coco_panoptic_eomt_giant_640", "g-640", 1536, 40, 24, 640, 200, 5, 133, True, "1163.6 M"),
]
PATCH, REGS, UPS = 16, 4, 2


def mlp_hidden(c, swiglu):
    return (int(c * 4 * 2 / 3) + 7) // 8 * 8 if swiglu else 4 * c


def hf_tensors(c, layers, image, q, l2, k, swiglu):
    g2, h = (image // PATCH) ** 2, mlp_hidden(c, swiglu)
    t = [("embeddings.cls_token", [1, 1, c]), ("embeddings.register_tokens", [1, REGS, c]),
         ("embeddings.position_embeddings.weight", [g2, c]),
         ("embeddings.patch_embeddings.projection.weight", [c, 3, PATCH, PATCH]),
         ("embeddings.patch_embeddings.projection.bias", [c])]
    fc1, fc2 = ("weights_in", "weights_out") if swiglu else ("fc1", "fc2")
    fc1_rows = 2 * h if swiglu else h
    for i in range(layers):
        p = f"layers.{i}."
        t += [(p + "norm1.weight", [c]), (p + "norm1.bias", [c])]
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            t += [(p + f"attention.{proj}.weight", [c, c]), (p + f"attention.{proj}.bias", [c])]
        t += [(p + "layer_scale1.lambda1", [c]), (p + "norm2.weight", [c]), (p + "norm2.bias", [c]),
              (p + f"mlp.{fc1}.weight", [fc1_rows, c]), (p + f"mlp.{fc1}.bias", [fc1_rows]),
              (p + f"mlp.{fc2}.weight", [c, h]), (p + f"mlp.{fc2}.bias", [c]), (p + "layer_scale2.lambda1", [c])]
    t += [("layernorm.weight", [c]), ("layernorm.bias", [c]), ("query.weight", [q, c]),
          ("class_predictor.weight", [k + 1, c]), ("class_predictor.bias", [k + 1])]
    for j in (1, 2, 3):
        t += [(f"mask_head.fc{j}.weight", [c, c]), (f"mask_head.fc{j}.bias", [c])]
    for j in range(UPS):
        u = f"upscale_block.block.{j}."
        t += [(u + "conv1.weight", [c, c, 2, 2]), (u + "conv1.bias", [c]), (u + "conv2.weight", [c, 1, 3, 3]),
              (u + "layernorm2d.weight", [c]), (u + "layernorm2d.bias", [c])]
    t += [("attn_mask_probs", [l2])]
    return t


def original_tensors(c, layers, image, q, l2, k, swiglu):
    """eomt.md §5.1: the LightningModule state dict (prefix network.), fused qkv, pos_embed (1,G²,C), buffers."""
    g2, h = (image // PATCH) ** 2, mlp_hidden(c, swiglu)
    fc1_rows = 2 * h if swiglu else h
    b = "network.encoder.backbone."
    t = [("network.encoder.pixel_mean", [1, 3, 1, 1]), ("network.encoder.pixel_std", [1, 3, 1, 1]),
         (b + "cls_token", [1, 1, c]), (b + "reg_token", [1, REGS, c]), (b + "pos_embed", [1, g2, c]),
         (b + "patch_embed.proj.weight", [c, 3, PATCH, PATCH]), (b + "patch_embed.proj.bias", [c])]
    for i in range(layers):
        p = f"{b}blocks.{i}."
        t += [(p + "norm1.weight", [c]), (p + "norm1.bias", [c]), (p + "attn.qkv.weight", [3 * c, c]),
              (p + "attn.qkv.bias", [3 * c]), (p + "attn.proj.weight", [c, c]), (p + "attn.proj.bias", [c]),
              (p + "ls1.gamma", [c]), (p + "norm2.weight", [c]), (p + "norm2.bias", [c]),
              (p + "mlp.fc1.weight", [fc1_rows, c]), (p + "mlp.fc1.bias", [fc1_rows]),
              (p + "mlp.fc2.weight", [c, h]), (p + "mlp.fc2.bias", [c]), (p + "ls2.gamma", [c])]
    t += [(b + "norm.weight", [c]), (b + "norm.bias", [c]), ("network.q.weight", [q, c]),
          ("network.class_head.weight", [k + 1, c]), ("network.class_head.bias", [k + 1])]
    for j in (0, 2, 4):
        t += [(f"network.mask_head.{j}.weight", [c, c]), (f"network.mask_head.{j}.bias", [c])]
    for j in range(UPS):
        u = f"network.upscale.{j}."
        t += [(u + "conv1.weight", [c, c, 2, 2]), (u + "conv1.bias", [c]), (u + "conv2.weight", [c, 1, 3, 3]),
              (u + "norm.weight", [c]), (u + "norm.bias", [c])]
    t += [("network.attn_mask_probs", [l2]), ("criterion.empty_weight", [k + 1])]
    return t


BUFFERS = ("attn_mask_probs", "pixel_mean", "pixel_std", "criterion.empty_weight")


def parameters(tensors):
    n = 0
    for name, shape in tensors:
        if any(name.endswith(bf) for bf in BUFFERS) or "anomaly_head" in name:
            continue
        size = 1
        for d in shape:
            size *= d
        n += size
    return n


def config(c, layers, heads, image, q, l2, k, swiglu):
    return {"model_type": "eomt", "architectures": ["EomtForUniversalSegmentation"], "hidden_size": c,
            "num_hidden_layers": layers, "num_attention_heads": heads, "mlp_ratio": 4, "hidden_act": "gelu",
            "layer_norm_eps": 1e-6, "image_size": image, "patch_size": PATCH, "num_channels": 3,
            "num_upscale_blocks": UPS, "use_swiglu_ffn": swiglu, "num_blocks": l2, "num_queries": q,
            "num_register_tokens": REGS, "num_labels": k}


def write(file, model, description, naming, tensors, cfg, arch, quoted):
    doc = {
        "model": model, "description": description, "naming": naming,
        "regenerate": "python3 weights-tools/manifests/generate_manifests.py",
        "expected": {"architecture": arch, "parameters": parameters(tensors), "parameters_quoted": quoted},
    }
    if cfg is not None:
        doc["config"] = cfg
    # One tensor per line keeps the files small and diffable.
    body = json.dumps(doc, indent=1)[:-2]
    lines = [f' "{n}": {{"dtype": "F32", "shape": {json.dumps(s)}}}' for n, s in tensors]
    with open(os.path.join(HERE, file), "w") as f:
        f.write(body + ',\n "tensors": {\n' + ",\n".join(lines) + "\n }\n}\n")


def arch(c, layers, heads, image, q, l2, k, swiglu):
    return {"hidden_size": c, "num_hidden_layers": layers, "num_attention_heads": heads, "patch_size": PATCH,
            "num_register_tokens": REGS, "num_queries": q, "num_labels": k, "image_size": image, "num_blocks": l2,
            "num_upscale_blocks": UPS, "mlp": "swiglu" if swiglu else "gelu", "mlp_hidden": mlp_hidden(c, swiglu)}


def main():
    for hub, short, c, layers, heads, image, q, l2, k, swiglu, quoted in MODELS:
        a = arch(c, layers, heads, image, q, l2, k, swiglu)
        write(f"{short}.hf.json", hub, f"{hub} model.safetensors + config.json (Hugging Face names)", "hugging face",
              hf_tensors(c, layers, image, q, l2, k, swiglu), config(c, layers, heads, image, q, l2, k, swiglu), a, quoted)
    # The original pytorch_model.bin of the Cityscapes model (the key map the engine's main target needs).
    c, layers, heads, image, q, l2, k = 1024, 24, 16, 1024, 100, 4, 19
    write("L-1024-cityscapes.original.json", "tue-mps/cityscapes_semantic_eomt_large_1024",
          "pytorch_model.bin, original tue-mps/eomt names (eomt.md §5.1); no config: architecture from shapes",
          "original (tue-mps/eomt)", original_tensors(c, layers, image, q, l2, k, False), None,
          arch(c, layers, heads, image, q, l2, k, False), "319.03 M")
    # The seed's EoMT-EXT Lightning checkpoint (seed.md §1.1, §1.5): ViT-B at 1024, Q=100, L2=3, K=19 + plain head.
    c, layers, heads, image, q, l2, k = 768, 12, 12, 1024, 100, 3, 19
    t = original_tensors(c, layers, image, q, l2, k, False)
    t += [("network.anomaly_head.mlp.0.weight", [64, 4]), ("network.anomaly_head.mlp.0.bias", [64]),
          ("network.anomaly_head.mlp.3.weight", [32, 64]), ("network.anomaly_head.mlp.3.bias", [32]),
          ("network.anomaly_head.mlp.6.weight", [1, 32]), ("network.anomaly_head.mlp.6.bias", [1]),
          ("pixel_mean", [1, 3, 1, 1]), ("pixel_std", [1, 3, 1, 1])]
    write("B-1024-eomt-ext.original.json", "DaddaRev/Task-Aware-Anomaly-Segmentation-Mask-Architectures (seed EoMT-EXT ckpt)",
          "Lightning state_dict of the seed's EoMT-EXT (seed.md §1.5): network.* + network.anomaly_head.mlp.{0,3,6}",
          "original (tue-mps/eomt)", t, None, arch(c, layers, heads, image, q, l2, k, False), None)


if __name__ == "__main__":
    main()
