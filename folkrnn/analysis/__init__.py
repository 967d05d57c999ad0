"""Analysis of a model's weights and of the network in numpy: the SVD of V and perturbations along its
directions, direction usage statistics, truncated softmax layers, spectra and comparisons, every
layer's gates over a tune (a numpy LSTM), the logit lens, self-similarity, the input layer, periodic
units, beam search, copying, summaries of composed tunes. Numpy only; imports the base modules of
:mod:`folkrnn` and :mod:`folkrnn.music`, never torch, ONNX Runtime or the tiers above.
"""
