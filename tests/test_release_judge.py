"""The release's judge prompt: RM_TEMPLATE read from a copy of examples/janus_rl.sh as bash and Hydra read it, the
image at its "<image>" marker in the Qwen2.5-VL chat (token by token), and the paper preset needing the file.

The fixture tests/data/release/janus_rl.sh has the release file's shape (a multi-line single-quoted RM_TEMPLATE with
\\" around {prompt}, a line-end space, "<image>" on its own line, \\\\boxed{{1}}, handed to a Hydra override) in
rgbench's own words."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rgbench.train.release_template import (
    ReleaseScriptError,
    hydra_double_quoted,
    read_assignment,
    release_judge_template,
    with_release_templates,
)

FIXTURE = Path(__file__).parent / "data" / "release" / "janus_rl.sh"
BASH = shutil.which("bash")
SYSTEM_AND_USER = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
GENERATION_PROMPT = "<|im_end|>\n<|im_start|>assistant\n"


def bash_value(script: str, name: str) -> str:
    """What bash itself assigns: the assignment lines only, then the variable printed verbatim."""
    done = subprocess.run([BASH, "--norc", "--noprofile", "-c", f'{script}\nprintf %s "${name}"'],
                          capture_output=True, check=True)
    return done.stdout.decode("utf-8")


# ---------------------------------------------------------------- bash's reading


def test_fixture_rm_template_as_bash_assigns_it():
    value = read_assignment(FIXTURE, "RM_TEMPLATE")
    assert (value.first_line, value.last_line) == (19, 33)
    # single quotes keep everything: the backslashes, the line-end space, the doubled braces
    assert value.value.startswith('The picture was requested as: \\"{prompt}\\" \nHere is the picture:\n<image>\n\n1.')
    assert "earns: \\\\boxed{{1}}\n" in value.value and value.value.endswith("give one boxed number.")
    if BASH:
        lines = FIXTURE.read_text().splitlines()[value.first_line - 1:value.last_line]
        assert value.value == bash_value("\n".join(lines), "RM_TEMPLATE")


@pytest.mark.skipif(BASH is None, reason="needs bash")
@pytest.mark.parametrize("script", [
    "X='one'\"two\"three\\ four",  # concatenated pieces, an escaped space
    'X="a \\"quoted\\" word, \\$HOME, \\\\ and \\`tick\\`, \\q kept, a lone $ sign"',
    'X="first line\\\ncontinued"',  # backslash-newline inside double quotes
    "X=abc\\\ndef",  # and unquoted
    "X='spans\ntwo lines'",
    "X=$'tab\\there\\nnew \\x41\\101 \\u00e9 \\'q\\' \\\\ \\z \\cA'",
    "export X='exported'",
    "X=first\nX=second  # the last assignment wins",
    "X=a*b?[c]",  # no globbing in assignments
    "X=",
    'X=""',
    "Y=1 X=2",
    'X="{prompt} \\\\boxed{{1}}"',
])
def test_assignments_equal_bash(tmp_path, script):
    path = tmp_path / "script.sh"
    path.write_text(script + "\n")
    assert read_assignment(path, "X").value == bash_value(script, "X")


@pytest.mark.parametrize("script, line, reason", [
    ('X="made $(date)"', 1, "command substitution"),
    ("X=`date`", 1, "command substitution"),
    ('X=\'ok\'"$HOME"', 1, "variable expansion $HOME"),
    ("X=${Y:-z}", 1, "parameter expansion"),
    ("X=$((1 + 2))", 1, "arithmetic expansion"),
    ("X=~/file", 1, "tilde"),
    ("X=a\nX+=b", 2, "appends"),
    ("if true; then\n  X=a\nfi", 2, "inside an if"),
    ("f() {\n  X=a\n}", 2, "inside an if"),
    ("X='never closed\n", 1, "unterminated"),
])
def test_refuses_what_needs_the_script_to_run(tmp_path, script, line, reason):
    path = tmp_path / "script.sh"
    path.write_text(script + "\n")
    with pytest.raises(ReleaseScriptError, match=re.escape(reason)) as err:
        read_assignment(path, "X")
    assert f"{path}:{line}" in str(err.value)


@pytest.mark.parametrize("script", ["Y=1", "X=1 some_command", "# X=1", "echo 'X=1'"])
def test_no_assignment(tmp_path, script):
    path = tmp_path / "script.sh"
    path.write_text(script + "\n")
    with pytest.raises(ReleaseScriptError, match="no top-level assignment X="):
        read_assignment(path, "X")


# ---------------------------------------------------------------- Hydra's reading, the filled template


@pytest.mark.parametrize("value, read", [
    ('say \\"{prompt}\\" ', 'say "{prompt}" '),  # \" → "
    ("\\\\boxed{{1}}", "\\\\boxed{{1}}"),  # backslashes not before a quote stay
    ('a\\\\\\"b', 'a\\"b'),  # \\\" → \"
    ("ends in \\\\", "ends in \\"),  # an even trailing run is halved
    ("", ""),
])
def test_hydra_double_quoted(value, read):
    assert hydra_double_quoted(value) == read


@pytest.mark.parametrize("value, reason", [
    ('a "bare" quote', "double quote"), ('a\\\\"b', "double quote"), ("odd \\", "odd number"),
    ("${oc.env:HOME}", "interpolation"),
])
def test_hydra_refuses(value, reason):
    with pytest.raises(ReleaseScriptError, match=reason):
        hydra_double_quoted(value)


def test_release_template_is_split_at_the_image_and_filled_with_format():
    template = release_judge_template(FIXTURE)
    before, after = template.chat_text("a red cat")
    assert before == 'The picture was requested as: "a red cat" \nHere is the picture:\n'
    assert after.startswith("\n\n1. Say what the picture shows")
    assert "earns: \\\\boxed{1}\n" in after and "{{" not in after  # Hydra keeps both backslashes; format halves braces
    assert template.source == f"{FIXTURE.resolve()}:19-33"
    assert template.sha256 == hashlib.sha256(template.text.encode()).hexdigest()


def test_release_template_checks(tmp_path):
    for body, reason in [("no slot <image>", "{prompt}"), ("{prompt} no image", "exactly once"),
                         ("{prompt} <image> <image>", "exactly once"), ("{prompt} <image> {x}", "str.format")]:
        path = tmp_path / "janus_rl.sh"
        path.write_text(f"RM_TEMPLATE='{body}'\n")
        with pytest.raises(ReleaseScriptError, match=reason):
            release_judge_template(path)


# ---------------------------------------------------------------- the chat, token by token

@pytest.fixture(scope="module")
def vlm(tmp_path_factory: pytest.TempPathFactory):
    pytest.importorskip("transformers")  # only the chat tests need it
    from rgbench.vlm.qwen import load_qwen_vl
    from rgbench.vlm.tiny import save_tiny_qwen_vl

    return load_qwen_vl(str(save_tiny_qwen_vl(tmp_path_factory.mktemp("tiny_qwen_vl"))))


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)  # 16 image tokens in the tiny


def token_ids(vlm, judge, prompt: str, image: np.ndarray) -> tuple[list[int], list[int]]:
    inputs = vlm.chat_inputs([judge.template.chat_text(prompt)], [image])
    return inputs["input_ids"][0].tolist(), inputs["mm_token_type_ids"][0].tolist()


def test_release_chat_has_the_image_at_the_marker_token_by_token(vlm, image):
    from rgbench.train.qwen_judge import QwenVLJudge

    judge = QwenVLJudge(vlm=vlm, template=release_judge_template(FIXTURE))
    ids, types = token_ids(vlm, judge, "a red cat", image)
    tok = vlm.tokenizer
    vision_start, pad, vision_end = tok.convert_tokens_to_ids(["<|vision_start|>", "<|image_pad|>", "<|vision_end|>"])
    # the release's way (fsdp_workers.py): the whole filled template as one text item, rendered, then its "<image>"
    # replaced by vision start, one pad per image token, vision end, and the string tokenized
    filled = judge.template.text.format(prompt="a red cat")
    rendered = vlm.processor.apply_chat_template([{"role": "user", "content": [{"type": "text", "text": filled}]}],
                                                 tokenize=False, add_generation_prompt=True)
    release = rendered.replace("<image>", "<|vision_start|>" + "<|image_pad|>" * 16 + "<|vision_end|>")
    assert ids == tok.encode(release, add_special_tokens=False)
    # and piece by piece: system + user turn + text before, the image, text after, end of turn, assistant start
    at = ids.index(vision_start)
    before, after = judge.template.chat_text("a red cat")
    assert ids[:at] == tok.encode(SYSTEM_AND_USER + before, add_special_tokens=False)
    assert tok.decode(ids[:at]).endswith('requested as: "a red cat" \nHere is the picture:\n')
    assert ids[at + 1:at + 17] == [pad] * 16 and ids[at + 17] == vision_end
    assert ids[at + 18:] == tok.encode(after + GENERATION_PROMPT, add_special_tokens=False)
    assert tok.decode(ids[at + 18:]).startswith("\n\n1. Say what the picture shows")
    assert ids.count(vision_start) == 1 and ids.count(pad) == 16
    assert [i for i, t in enumerate(types) if t] == list(range(at + 1, at + 17))  # M-RoPE's image positions


def test_default_chat_is_image_first_in_rgbench_words(vlm, image):
    from rgbench.train.qwen_judge import JUDGE_TEMPLATE, QwenVLJudge

    judge = QwenVLJudge(vlm=vlm)
    assert judge.template.text == JUDGE_TEMPLATE and judge.template.source == "rgbench"
    ids, _ = token_ids(vlm, judge, "a red cat", image)
    tok = vlm.tokenizer
    head = tok.encode(SYSTEM_AND_USER + "<|vision_start|>", add_special_tokens=False)
    assert ids[:len(head)] == head  # the image opens the user turn
    pad, vision_end = tok.convert_tokens_to_ids(["<|image_pad|>", "<|vision_end|>"])
    assert ids[len(head):len(head) + 16] == [pad] * 16 and ids[len(head) + 16] == vision_end
    text = JUDGE_TEMPLATE.replace("{prompt}", "a red cat")
    assert ids[len(head) + 17:] == tok.encode(text + GENERATION_PROMPT, add_special_tokens=False)
    assert text.startswith("You are grading an image made by a text-to-image model")


class RecordingVLM:
    name = "qwen_vl-recording"

    def __init__(self) -> None:
        self.texts: list = []

    def generate(self, texts, images, max_new_tokens=1024, batch_size=8):
        self.texts += texts
        return ["matches. \\boxed{1}"] * len(texts)


def test_judge_sends_the_split_release_text_and_scores_it():
    from rgbench.train.qwen_judge import QwenVLJudge

    vlm = RecordingVLM()
    verdicts = QwenVLJudge(vlm=vlm, template=release_judge_template(FIXTURE)).judge(["two dogs"], [np.zeros((8, 8, 3), np.uint8)])
    assert [v.score for v in verdicts] == [1.0]
    before, after = vlm.texts[0]
    assert before.endswith('"two dogs" \nHere is the picture:\n') and after.startswith("\n\n1. Say")
    default = RecordingVLM()
    QwenVLJudge(vlm=default).judge(["two dogs"], [np.zeros((8, 8, 3), np.uint8)])
    assert isinstance(default.texts[0], str) and '"two dogs"' in default.texts[0]
    with pytest.raises(ValueError, match="release_script"):  # unresolved, the keyword is not taken as text
        QwenVLJudge(vlm=default, template="release")


# ---------------------------------------------------------------- the paper preset


def test_paper_preset_resolves_the_release_template_and_others_need_nothing():
    from rgbench.catalog import load_catalog
    from rgbench.config import load_config, presets
    from rgbench.train.grpo_run import grpo_provenance, judge_templates

    load_catalog()
    cfg = load_config("grpo", "paper", [f"release_script={FIXTURE}"])
    terms, records = judge_templates(cfg)
    template = terms[0].options["template"]
    assert template.text == release_judge_template(FIXTURE).text and template.image_marker == "<image>"
    assert cfg.rewards[0].options["template"] == "release"  # the config itself is untouched
    assert records == [{"reward": 0, "name": "qwen_vl", "template": "release",
                        "source": f"{FIXTURE.resolve()}:19-33", "sha256": template.sha256}]
    assert grpo_provenance(cfg)["judge_templates"] == records
    for name in presets("grpo"):
        if name != "paper":
            other = load_config("grpo", name)
            assert judge_templates(other) == (other.rewards, []), name


@pytest.mark.parametrize("script", ["", "missing/janus_rl.sh"])
def test_paper_preset_refuses_to_start_without_the_script(tmp_path, script):
    from tests.helpers.cli import invoke

    args = ["train", "grpo", "-c", "paper", "--results", tmp_path / "runs"]
    out = invoke(args + (["--set", f"release_script={script}"] if script else []))
    assert out.exit_code == 2
    assert "examples/janus_rl.sh" in out.text and "github.com/Franklin-Zhang0/ReasonGen-R1" in out.text
    assert "--set release_script=PATH/TO/janus_rl.sh" in out.text
    assert ("release script not found: missing/janus_rl.sh" in out.text) == bool(script)
    assert not (tmp_path / "runs").exists()  # refused before the run folder (and any model)


def test_paper_preset_with_the_script_records_the_template(tmp_path):
    """With the file the run opens and records the template; it then stops at the policy weights, absent here."""
    from tests.helpers.cli import invoke

    out = invoke(["train", "grpo", "-c", "paper", "--set", f"release_script={FIXTURE}", "--results", tmp_path,
                  "--run-id", "paper"])
    assert out.exit_code == 2 and "release_script" not in out.text
    meta = json.loads((tmp_path / "paper" / "meta.json").read_text())
    assert meta["provenance"]["judge_templates"][0]["sha256"] == release_judge_template(FIXTURE).sha256


def test_reproduce_paper_checks_every_arm_before_any_stage(tmp_path):
    from rgbench.catalog import load_catalog
    from rgbench.config import load_config
    from rgbench.reproduce import arm_overrides, check_judge_templates

    load_catalog()
    cfg = load_config("reproduce", "paper")
    with pytest.raises(ReleaseScriptError, match="--set release_script="):
        check_judge_templates(cfg)
    cfg = load_config("reproduce", "paper", [f"release_script={FIXTURE}"])
    check_judge_templates(cfg)
    for arm in cfg.arms:  # the small judge keeps the release's prompt too
        grpo = load_config("grpo", arm.preset, arm_overrides(cfg, arm, "m", 0))
        assert grpo.release_script == str(FIXTURE) and grpo.rewards[0].options["template"] == "release", arm.name
    assert with_release_templates(load_config("grpo", "toy").rewards, "")[1] == []
    from tests.helpers.cli import invoke

    out = invoke(["reproduce", "--preset", "paper", "--out", tmp_path / "repro"])
    assert out.exit_code == 2 and "--set release_script=PATH/TO/janus_rl.sh" in out.text
    assert not (tmp_path / "repro").exists()
