"""folk-rnn v2 for analysis: load models safely, the SVD of the softmax layer, perturbations.

Importing the package loads numpy only; the network lives in ``folkrnn.model`` and
``folkrnn.activations`` (torch) and ``folkrnn.sampling`` (ONNX Runtime), imported where it runs.
"""

from .errors import ModelFileError, NonFiniteWeightsError, RefusedPickleError, ShapeError
from .loading import default_model_path, load_bytes, load_model
from .perturbation import bias_distribution, entropy, perturbed_distribution, softmax
from .svd import SoftmaxSVD, softmax_svd
from .vocab import CATEGORIES, UnknownTokenError, Vocabulary, folkrnn_v2_vocabulary, token_category
from .weights import ModelWeights

__all__ = [
    "CATEGORIES", "ModelFileError", "ModelWeights", "NonFiniteWeightsError", "RefusedPickleError",
    "ShapeError", "SoftmaxSVD", "UnknownTokenError", "Vocabulary", "bias_distribution",
    "default_model_path", "entropy", "folkrnn_v2_vocabulary", "load_bytes", "load_model",
    "perturbed_distribution", "softmax", "softmax_svd", "token_category",
]
