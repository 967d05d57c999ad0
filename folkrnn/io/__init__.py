"""Model files in and out: the project's safetensors checkpoints, the original folk-rnn pickles (scanned,
unpickled under restrictions, parsed in a sandboxed child), downloading the original weights, and
:func:`folkrnn.io.loading.load_model`, the one entry point. Numpy only; imports the base modules of
:mod:`folkrnn` and nothing from its other subpackages.
"""
