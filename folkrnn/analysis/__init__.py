"""Analysis of a model's weights and of the network in numpy: the SVD of V and perturbations along its
directions, direction usage statistics, truncated softmax layers, spectra and comparisons, every
layer's gates over a tune (a numpy LSTM), the logit lens, self-similarity, the input layer, periodic
units, beam search, copying, select and match (LSTMVis), summaries of composed tunes, what ε leaves
of RMSprop's steps. Numpy only; imports the base modules of :mod:`folkrnn` and :mod:`folkrnn.music`,
never torch, ONNX Runtime or the tiers above.
"""
