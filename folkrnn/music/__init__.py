"""Tunes as music: v2 transcriptions and the batches read from them, the bar reader and the
well-formedness check, ABC notation, Standard MIDI Files (through mido, pure Python). Numpy only; imports
the base modules of :mod:`folkrnn` and nothing from its other subpackages.
"""
