"""Training a replica: the loop (:mod:`folkrnn.train.loop`), its settings (:mod:`folkrnn.train.config`)
and folk-rnn's own recipe. The loop and the recipe import torch, :mod:`folkrnn.network` and the numpy
tiers; the settings are plain dataclasses, so the command line shows their defaults without torch.
"""
