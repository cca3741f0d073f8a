"""Leakage guards for RL: training prompts that are evaluation prompts, and a reward judge that is also the
evaluation judge. The release does both (its RL validation files *are* the benchmarks, method.md §3), so
rgbench never refuses — it warns loudly and records the warning in the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rgbench.prompt_sets import normalize_prompt

# evaluation prompt sets checked against the training prompts
EVAL_SETS = ("toy-geneval", "toy-dpg", "toy-t2i", "geneval", "dpg", "t2i")
# reward name → the evaluation that scores with the same model or rules
SHARED_JUDGES = {
    "toy-large": "toy GenEval / DPG / T2I score with the same toy detector and rule check",
    "toy-small": "toy GenEval / DPG / T2I score with the same toy detector",
    "geneval_rule": "GenEval scores with the same detector and rules",
}


def prompt_overlap(train: Iterable[str], sets: Sequence[str] = EVAL_SETS) -> dict[str, int]:
    """Evaluation set → how many of its prompts appear (normalised) among the training prompts."""
    from rgbench.prompt_sets import load_prompt_set

    seen = {normalize_prompt(p) for p in train}
    out = {}
    for name in sets:
        hits = sum(normalize_prompt(it.prompt) in seen for it in load_prompt_set(name).items)
        if hits:
            out[name] = hits
    return out


def leakage_warnings(train_prompts: Iterable[str], reward_names: Sequence[str]) -> list[str]:
    warnings = [f"{n} of the {name} evaluation prompts are also training prompts: scores on {name} after this run "
                f"are not held-out scores" for name, n in prompt_overlap(train_prompts).items()]
    warnings += [f"the reward '{r}' is also an evaluation judge ({SHARED_JUDGES[r]}): the policy is trained on the "
                 f"metric it is judged by" for r in reward_names if r in SHARED_JUDGES]
    return warnings
