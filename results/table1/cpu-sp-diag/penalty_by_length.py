"""SP-MTL at initialisation (seed 13): the orthogonality penalty L_diff and the total loss on the
first 300 training batches of the config's loader, in 10 groups of 30 by mean length. Run from the
repository root: FDU_MTL_DIR=/work/shared/data/fdu-mtl python results/table1/cpu-sp-diag/penalty_by_length.py
(the config is the `default` diagnosis run's; its num_epochs does not matter here)."""
import sys, itertools, torch
sys.path.insert(0, '.')
torch.set_num_threads(1)
import graph_mtl
from allennlp.common import Params
from allennlp.data import DataLoader, DatasetReader, Vocabulary
from allennlp.models import Model
params = Params.from_file('results/table1/cpu-sp-diag/default/configs/sp_mtl-s13.jsonnet')
torch.manual_seed(13)
reader = DatasetReader.from_params(params.pop('dataset_reader'))
loader = DataLoader.from_params(params.pop('data_loader'), reader=reader, data_path=params.pop('train_data_path'))
vocab = Vocabulary.from_params(params.pop('vocabulary', Params({})), instances=loader.iter_instances())
loader.index_with(vocab)
model = Model.from_params(params.pop('model'), vocab=vocab)
enc = model._backbone._encoder
rows = []
with torch.no_grad():
    for batch in itertools.islice(iter(loader), 300):
        out = model(**batch)
        mask = batch['tokens']['tokens']['tokens'] != 0
        rows.append((float(mask.sum(1).float().mean()), float(enc.get_aux_losses()['orthogonality']), float(out['loss'])))
rows.sort()
import statistics
for q in range(0, 300, 30):
    chunk = rows[q:q+30]
    print(f"mean tokens {statistics.mean(r[0] for r in chunk):7.1f}  orthogonality {statistics.mean(r[1] for r in chunk):9.1f}  x0.01 = {0.01*statistics.mean(r[1] for r in chunk):7.2f}  total loss {statistics.mean(r[2] for r in chunk):6.2f}")
