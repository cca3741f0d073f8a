"""Training: SFT on prompt → CoT → image tokens, and GRPO with judge rewards and entropy control.
Importing the benchmark packages never imports this one."""
