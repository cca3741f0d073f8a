# A stand-in for ReasonGen-R1's examples/janus_rl.sh, in the same shape (a shell variable holding the judge prompt,
# handed to verl as a Hydra override) with rgbench's own test wording: not the release's text.
set -x

export SOME_BACKEND=XFORMERS

SYSTEM_PROMPT=""

GPUS=`nvidia-smi -L | wc -l`
MODEL_PATH=someone/some-sft-model
RUN_NAME=fixture_run
PROJ_NAME="fixture_project"
SAVE_DIR=ckpt/janus_rl/$PROJ_NAME/$RUN_NAME

TEMPLATE="A photo of {}. Output a richly detailed prompt: "



RM_TEMPLATE='The picture was requested as: \"{prompt}\" 
Here is the picture:
<image>

1. Say what the picture shows (things, colours, where they sit) without leaning on the request.
2. Say what the request asks for.
3. Compare the two:
   - is every asked-for thing there?
   - are the numbers, colours and places right?

Judge harshly:
Only a flawless match earns: \\boxed{{1}}
Anything else earns: \\boxed{{0}}

Think it through first, then give one boxed number.'

export HYDRA_FULL_ERROR=1

# if [ "$RANK" -eq 0 ]; then
python3 -m some.trainer.entry \
    data.system_prompt="$SYSTEM_PROMPT" \
    'data.prompt_template="'"$TEMPLATE"'"' \
    trainer.n_gpus_per_node=$GPUS \
    trainer.default_local_dir=$SAVE_DIR \
    'reward_model.template="'"$RM_TEMPLATE"'"' \
    trainer.max_steps=2
