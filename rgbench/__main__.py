from rgbench.cli import app

app(prog_name="rgbench")
