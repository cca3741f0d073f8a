"""rgbench: train and judge chain-of-thought text-to-image models (ReasonGen-R1).

Importing this package is cheap: no torch, no transformers, no model. Heavy
imports live inside the adapters that need them.
"""

__version__ = "0.1.0"
