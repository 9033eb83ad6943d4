using System.CommandLine;

var root = new RootCommand("weights-tools: inspect and convert EoMT checkpoints (safetensors, PyTorch zip, Lightning ckpt)");
return root.Parse(args).Invoke();
