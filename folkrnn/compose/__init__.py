"""Composing tunes: sampling through a step engine (ONNX Runtime in float32, PyTorch with bf16
matrices), the engines' weight layout, interventions written into the step graph, and the provenance
every composed tune's files carry. Of folkrnn it imports the numpy tiers only; the engines import ONNX
Runtime and torch, which :mod:`folkrnn.compose.sampling` loads only when a tune is composed.
"""
