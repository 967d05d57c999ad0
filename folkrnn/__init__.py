"""folk-rnn v2 for analysis: load models safely, the SVD of the softmax layer, perturbations.

The top-level modules are the base every subpackage uses (tokens, weights, errors, caches, CPUs);
the subpackages are tiers: :mod:`folkrnn.io`, :mod:`folkrnn.music` and :mod:`folkrnn.analysis` (numpy
only, like this package's import), :mod:`folkrnn.compose` (ONNX Runtime or torch, loaded when a tune is
composed), :mod:`folkrnn.network` and :mod:`folkrnn.train` (torch), imported where they run.
"""

__version__ = "0.1.0"  # pyproject.toml reads it; provenance notes write it into every composed file

from .analysis.perturbation import bias_distribution, entropy, perturbed_distribution, softmax
from .analysis.svd import SoftmaxSVD, softmax_svd
from .errors import ModelFileError, NonFiniteWeightsError, RefusedPickleError, ShapeError
from .io.loading import default_model_path, load_bytes, load_model
from .vocab import CATEGORIES, UnknownTokenError, Vocabulary, folkrnn_v2_vocabulary, token_category
from .weights import ModelWeights

__all__ = [
    "__version__", "CATEGORIES", "ModelFileError", "ModelWeights", "NonFiniteWeightsError", "RefusedPickleError",
    "ShapeError", "SoftmaxSVD", "UnknownTokenError", "Vocabulary", "bias_distribution",
    "default_model_path", "entropy", "folkrnn_v2_vocabulary", "load_bytes", "load_model",
    "perturbed_distribution", "softmax", "softmax_svd", "token_category",
]
