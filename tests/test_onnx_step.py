"""The ONNX step that composes tunes: the same network as the torch FolkRNN, step for step."""

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from folkrnn.analysis.truncation import truncated_weights
from folkrnn.compose.onnx_step import StepSession, step_graph, step_session
from folkrnn.network.model import FolkRNN
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=2)


def test_graph_is_valid_onnx_and_names_its_weights():
    graph, constants = step_graph(WEIGHTS)
    assert [t.name for t in graph.graph.initializer] == list(constants)
    filled = onnx.ModelProto()
    filled.CopyFrom(graph)
    del filled.graph.initializer[:]
    filled.graph.initializer.extend(numpy_helper.from_array(a, name) for name, a in constants.items())
    onnx.checker.check_model(filled, full_check=True)
    assert constants["W1"].shape == (2 * 16, 4 * 16) and "V_T" not in constants  # V and v are inputs
    assert all(a.dtype == np.float32 and a.flags.c_contiguous for a in constants.values())


@pytest.mark.parametrize("layers", [3, 1])
def test_steps_equal_the_torch_forward_pass(layers):
    weights = random_weights(hidden=16, layers=layers, seed=2)
    tokens = np.array([[80, 57, 86, 39, 71, 48], [80, 63, 77, 35, 65, 2]])
    with torch.no_grad():
        full = FolkRNN.from_weights(weights)(torch.from_numpy(tokens))
    step = StepSession(weights)
    state = step.start(2)
    for t in range(tokens.shape[1]):
        logits, state = step(tokens[:, t], state)
        np.testing.assert_allclose(logits, full.logits[:, t].numpy(), atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(state[-1][0], full.hidden[-1][:, t].numpy(), atol=1e-6)  # h_t
    for (h, c), (h_torch, c_torch) in zip(state, full.state):
        np.testing.assert_allclose(h, h_torch[0].numpy(), atol=1e-6)
        np.testing.assert_allclose(c, c_torch[0].numpy(), atol=1e-6)


def test_start_is_the_trained_initial_state():
    state = StepSession(WEIGHTS).start(3)
    assert len(state) == WEIGHTS.num_layers
    for (h, c), layer in zip(state, WEIGHTS.layers):
        assert h.shape == c.shape == (3, 16) and h.dtype == np.float32
        np.testing.assert_array_equal(h, np.tile(layer.h0.astype(np.float32), (3, 1)))
        np.testing.assert_array_equal(c, np.tile(layer.c0.astype(np.float32), (3, 1)))


def test_one_session_per_model_content_and_one_onnx_session_per_lstm_stack():
    step_session.clear()
    first = step_session(WEIGHTS)
    assert step_session(random_weights(hidden=16, seed=2)) is first  # equal content, another object
    assert step_session(random_weights(hidden=16, seed=3)) is not first
    assert (step_session.hits, step_session.misses) == (1, 2)
    truncated = step_session(truncated_weights(WEIGHTS, k=5))  # another V, the same LSTM stack
    assert truncated is not first and truncated.lstm is first.lstm


def test_truncated_model_steps_with_its_own_softmax_layer():
    weights = truncated_weights(WEIGHTS, k=5)
    h = StepSession(weights).start(1)
    logits, state = StepSession(weights)(np.array([80]), h)
    expected = state[-1][0] @ weights.V.T + weights.v
    np.testing.assert_allclose(logits, expected, atol=1e-5)
    assert np.abs(logits - StepSession(WEIGHTS)(np.array([80]), h)[0]).max() > 1e-2
