// Named training recipes: `settings` objects for fdu_mtl.config / tagging.config, used by
// scripts/reproduce.py (`--recipe NAME`) and by hand:
//
//   local fdu = import 'graph_mtl/configs/fdu_mtl.libsonnet';
//   local recipes = import 'graph_mtl/configs/recipes.libsonnet';
//   fdu.config('dc_mtl', settings=recipes.fdu_mtl.cpu)
//
// Every recipe applies to every model of a table alike; the results of each are in
// results/table1/<recipe>/ (README there: every recipe tried, with its numbers).
local common = import 'common.libsonnet';

{
  fdu_mtl:: {
    // The paper's recipe: common.defaults (hidden 200, embeddings 200, batch 8, 30 epochs,
    // patience 5, last hidden state) with AdaDelta (lr 1.0, rho 0.95) and dense embedding
    // updates. ~19-23 min per DC-MTL epoch on 2 cores: the whole table does not fit in hours.
    paper: common.paper_recipe,

    // A recipe that fits Table 1 (every model, 16 domains, 2 seeds) in about 2.5 hours on two
    // CPU cores: hidden 100 (an LSTM step ~2.7x cheaper than at 200), batches of 16, max
    // pooling over the encoder states for every classifier (a review is ~130 tokens; the last
    // state of a unidirectional LSTM forgets its start), Adam with sparse embedding updates,
    // 4 epochs, best epoch on dev. Embeddings: FDU_MTL_VECTORS (`make vectors`).
    cpu: {
      hidden_dim: 100,
      batch_size: 16,
      pooling: 'max',
      optimizer: { type: 'dense_sparse_adam', lr: 0.001 },
      num_epochs: 4,
      patience: 4,
    },
  },

  tagging:: {
    // The paper's recipe on the tagging configs (hidden 200, batch 8, AdaDelta, 30 epochs).
    paper: common.paper_recipe,

    // Table 4 on a CPU: hidden 100, batches of 16, bidirectional DC-MTL / IC-MTL / SP-MTL
    // (every strong tagger of the period reads both directions), character CNN features
    // (Ma & Hovy 2016), words looked up lowercased in lowercased vectors (TAGGING_VECTORS,
    // `make tagging-vectors`; the characters keep the case), dropout 0.3 on the embeddings and
    // on the encoder output, Adam, 5 epochs (the whole table, 2 seeds: 2.6 hours on two cores
    // with `cpu_unseen`, results/table4/README.md). Case and dropout were chosen on NER dev:
    // results/table4/ner-case/README.md.
    cpu: {
      hidden_dim: 100,
      batch_size: 16,
      bidirectional: true,
      char_features: { encoder: 'cnn', embedding_dim: 30, output_dim: 50, window: 3 },
      lowercase_tokens: true,
      embedding_dropout: 0.3,
      encoder_dropout: 0.3,
      optimizer: { type: 'dense_sparse_adam', lr: 0.001 },
      num_epochs: 5,
      patience: 3,
    },

    // `cpu` with unseen words read as at prediction time: embedding rows for the training words
    // and every word of the vectors only (dev words in neither are @@UNKNOWN@@), and word
    // dropout 0.1 so that @@UNKNOWN@@ is trained. Chosen on POS dev with the BiLSTM-CRF, seed
    // 13 (results/table4/README.md, "Unseen words"): 97.22 (cpu) -> 97.31.
    cpu_unseen: self.cpu + {
      vocabulary: 'train_and_vectors',
      word_dropout: 0.1,
    },
  },
}
