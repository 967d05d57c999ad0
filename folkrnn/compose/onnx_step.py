"""One step of folk-rnn as an ONNX graph, run by ONNX Runtime: the engine that composes tunes.

Composing is a chain of small matrix products, one token after another, so the product's kernel
decides the speed. PyTorch's CPU products go through MKL, which on CPUs that are not Intel's picks a
generic kernel; ONNX Runtime's own kernels (MLAS) step the same float32 network about three times as
fast for one tune and 1.4 times for 64 (docs/performance.md). The graph is written out here from
:class:`ModelWeights`, in folk-rnn's equations (gate order i, f, g, o; no peepholes);
tests/test_onnx_step.py holds it to :class:`folkrnn.network.model.FolkRNN`, the torch network.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper

from ..cache import WeightsCache
from ..cpus import thread_budget
from ..weights import ModelWeights
from .step_layout import step_layout

State = list[tuple[np.ndarray, np.ndarray]]  # per layer (h, c), each (batch, H) float32

OPSET = 18


def _float32(array) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)


def _external(name: str, array: np.ndarray) -> onnx.TensorProto:
    """A float32 weight that the graph names but does not hold: the session is handed ``array`` itself
    (building the graph with its 21 MB of weights copied in cost about 100 MB of memory)."""
    tensor = TensorProto(name=name, dims=array.shape, data_type=TensorProto.FLOAT, data_location=TensorProto.EXTERNAL)
    for key, value in (("location", name), ("offset", 0), ("length", array.nbytes)):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, str(value)
    return tensor


def _lstm_layer(l: int, z: str, out: str = "next") -> list[onnx.NodeProto]:
    """The gates from the pre-activations ``z`` (batch, 4H), then c_t and h_t of layer ``l``, named
    ``c{l}_{out}`` and ``h{l}_{out}``."""
    i, f, g, o = (f"{gate}{l}" for gate in "ifgo")
    return [
        helper.make_node("Split", [z], [i + "_z", f + "_z", g + "_z", o + "_z"], axis=1, num_outputs=4),
        helper.make_node("Sigmoid", [i + "_z"], [i]),
        helper.make_node("Sigmoid", [f + "_z"], [f]),
        helper.make_node("Tanh", [g + "_z"], [g]),
        helper.make_node("Sigmoid", [o + "_z"], [o]),
        helper.make_node("Mul", [f, f"c{l}"], [f"fc{l}"]),
        helper.make_node("Mul", [i, g], [f"ig{l}"]),
        helper.make_node("Add", [f"fc{l}", f"ig{l}"], [f"c{l}_{out}"]),  # c_t = f c_{t-1} + i g
        helper.make_node("Tanh", [f"c{l}_{out}"], [f"tanh_c{l}"]),
        helper.make_node("Mul", [o, f"tanh_c{l}"], [f"h{l}_{out}"]),  # h_t = o tanh(c_t)
    ]


def _intervened_layer(l: int, z: str, last: bool) -> list[onnx.NodeProto]:
    """:func:`_lstm_layer`, then h and c times ``mask{l}`` (zeroed units); for the last layer also
    h <- h P + offset (P = I - R R^T removes the directions R, offset adds alpha w)."""
    nodes = _lstm_layer(l, z, "raw")
    nodes += [helper.make_node("Mul", [f"c{l}_raw", f"mask{l}"], [f"c{l}_next"])]
    if not last:
        return nodes + [helper.make_node("Mul", [f"h{l}_raw", f"mask{l}"], [f"h{l}_next"])]
    return nodes + [
        helper.make_node("Mul", [f"h{l}_raw", f"mask{l}"], [f"h{l}_masked"]),
        helper.make_node("MatMul", [f"h{l}_masked", "P"], [f"h{l}_projected"]),
        helper.make_node("Add", [f"h{l}_projected", "offset"], [f"h{l}_next"]),
    ]


def step_graph(weights: ModelWeights, intervened: bool = False) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """One step for a batch, and the LSTM weights it names (float32, laid out for its products).

    Inputs ``tokens`` (batch,), ``h{l}`` and ``c{l}`` (batch, H) per layer l, and the softmax layer
    ``V_T`` (H, vocab) and ``v`` (vocab,), so that one graph serves every V with the same LSTM stack;
    outputs ``logits`` (batch, vocab) = V h_t + v, and ``h{l}_next``, ``c{l}_next``; the weights
    as :func:`folkrnn.compose.step_layout.step_layout` lays them out.

    ``intervened`` adds the inputs of :mod:`folkrnn.compose.interventions`: ``mask{l}`` (H,) per layer,
    ``P`` (H, H) and ``offset`` (H,) for the last layer's h_t, and a two-hot input, ``keep`` (1,)
    times the row of ``tokens`` plus ``beta`` (1,) times the row of ``forced`` (batch,). With masks of
    ones, P = I, offset 0, keep 1 and beta 0 it computes exactly what the plain graph does.
    """
    H, vocab = weights.hidden_size, len(weights.vocabulary)
    last = weights.num_layers - 1
    layout = step_layout(weights)
    layer = (lambda l, z: _intervened_layer(l, z, l == last)) if intervened else _lstm_layer
    constants = {"table": layout.table, "W_hh0": layout.W_hh0}
    if intervened:
        first_input = [
            helper.make_node("Gather", ["table", "tokens"], ["read_rows"], axis=0),
            helper.make_node("Gather", ["table", "forced"], ["forced_rows"], axis=0),
            helper.make_node("Mul", ["read_rows", "keep"], ["read_part"]),
            helper.make_node("Mul", ["forced_rows", "beta"], ["forced_part"]),
            helper.make_node("Add", ["read_part", "forced_part"], ["input0"]),
        ]
    else:
        first_input = [helper.make_node("Gather", ["table", "tokens"], ["input0"], axis=0)]
    nodes = [
        *first_input,
        helper.make_node("MatMul", ["h0", "W_hh0"], ["recurrent0"]),
        helper.make_node("Add", ["input0", "recurrent0"], ["z0"]),
        *layer(0, "z0"),
    ]
    for l, (W, b) in enumerate(zip(layout.W, layout.b), start=1):
        constants[f"W{l}"], constants[f"b{l}"] = W, b
        nodes += [
            helper.make_node("Concat", [f"h{l - 1}_next", f"h{l}"], [f"xh{l}"], axis=1),
            helper.make_node("Gemm", [f"xh{l}", f"W{l}", f"b{l}"], [f"z{l}"]),
            *layer(l, f"z{l}"),
        ]
    nodes.append(helper.make_node("Gemm", [f"h{len(layout.W)}_next", "V_T", "v"], ["logits"]))

    def tensor(name, shape, elem=TensorProto.FLOAT):
        return helper.make_tensor_value_info(name, elem, shape)

    layers = range(weights.num_layers)
    inputs = [tensor("tokens", ["batch"], TensorProto.INT64)]
    inputs += [tensor(f"{k}{l}", ["batch", H]) for l in layers for k in "hc"]
    inputs += [tensor("V_T", [H, vocab]), tensor("v", [vocab])]
    if intervened:
        inputs += [tensor(f"mask{l}", [H]) for l in layers]
        inputs += [tensor("P", [H, H]), tensor("offset", [H]), tensor("forced", ["batch"], TensorProto.INT64),
                   tensor("keep", [1]), tensor("beta", [1])]
    outputs = [tensor("logits", ["batch", vocab])] + [tensor(f"{k}{l}_next", ["batch", H]) for l in layers for k in "hc"]
    initializers = [_external(name, a) for name, a in constants.items()]
    graph = helper.make_graph(nodes, "folkrnn_step", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="folkrnn")
    return model, constants


class LSTMSession:
    """:func:`step_graph` in an ONNX Runtime session, for one LSTM stack (its weights handed over as
    they are, and kept here: they must outlive the session). ``run`` is thread-safe."""

    def __init__(self, weights: ModelWeights, intervened: bool = False):
        graph, constants = step_graph(weights, intervened)
        self._constants = [onnxruntime.OrtValue.ortvalue_from_numpy(a) for a in constants.values()]
        options = onnxruntime.SessionOptions()
        if (threads := thread_budget()) is not None:
            options.intra_op_num_threads = threads  # its default counts the machine's cores, not a quota
        # Idle workers sleep instead of spinning: a spinning pool of two on two cores, one of them busy
        # elsewhere, composed one tune at 618 tokens/s against a sleeping pool's 1,138 (measured here).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_external_initializers(list(constants), self._constants)
        self.run = onnxruntime.InferenceSession(
            graph.SerializeToString(), options, providers=["CPUExecutionProvider"]).run


lstm_session = WeightsCache(LSTMSession, key=lambda weights: weights.lstm_hash, maxsize=2)
"""The cached :class:`LSTMSession` of a model's LSTM stack: building one takes about 35 ms and
50 MB, so models that differ only in V share one."""

intervened_session = WeightsCache(lambda weights: LSTMSession(weights, intervened=True),
                                  key=lambda weights: weights.lstm_hash, maxsize=2)
"""The cached intervened :class:`LSTMSession` (:mod:`folkrnn.compose.interventions`) of a model's LSTM stack."""


class StepSession:
    """One step of a model: its LSTM stack's shared session, its softmax layer and its trained
    initial state. Read-only once built, so one serves every caller and thread."""

    def __init__(self, weights: ModelWeights, lstm: LSTMSession | None = None):
        self.lstm = lstm or lstm_session(weights)
        self._constants = {"V_T": _float32(weights.V.T), "v": _float32(weights.v)}  # fed on every call
        self._outputs = ["logits"] + [f"{k}{l}_next" for l in range(weights.num_layers) for k in "hc"]
        self._initial = [(_float32(layer.h0), _float32(layer.c0)) for layer in weights.layers]

    def start(self, batch: int) -> State:
        """The trained initial (h, c) of every layer, for ``batch`` sequences."""
        return [(np.tile(h, (batch, 1)), np.tile(c, (batch, 1))) for h, c in self._initial]

    def _feeds(self, tokens: np.ndarray) -> dict[str, np.ndarray]:
        """The graph's inputs for reading ``tokens``, but the state."""
        return {"tokens": np.asarray(tokens, dtype=np.int64), **self._constants}

    def __call__(self, tokens: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """Read ``tokens`` (batch,) from ``state``: the logits V h_t + v (batch, vocab), and the new state."""
        feeds = self._feeds(tokens)
        for l, (h, c) in enumerate(state):
            feeds[f"h{l}"], feeds[f"c{l}"] = h, c
        logits, *flat = self.lstm.run(self._outputs, feeds)
        return logits, list(zip(flat[0::2], flat[1::2]))


step_session = WeightsCache(StepSession, key=lambda weights: weights.content_hash, maxsize=8)
"""The cached :class:`StepSession` of a model (one per model content)."""
