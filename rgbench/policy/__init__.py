"""The generator: transformers' Janus as a CoT → image policy (model, tokenizers, prompt format, generation,
training-side log-probs). Heavy imports stay inside the functions that need them."""
