"""The network in PyTorch: :class:`~folkrnn.network.model.FolkRNN`, its activations over a tune, its NLL
on transcriptions, and direction usage over its runs. Imports torch, the numpy tiers and
:mod:`folkrnn.compose` (for its tunes), never :mod:`folkrnn.train`.
"""
