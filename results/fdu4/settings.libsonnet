// Settings of the real-data check (issue 4): four FDU-MTL domains, sized for a shared 2-core
// CPU machine. Everything not set here is the paper default of training_configs/lib/common.libsonnet
// (uniform init [-0.1, 0.1], batch 8, last-state sentence representation, no dropout).
{
  tasks: ['books', 'dvd', 'electronics', 'kitchen_housewares'],
  settings: {
    embedding_dim: 64,  // paper: 200
    hidden_dim: 64,  // paper: 200
    max_tokens: 100,  // reviews truncated to their first 100 tokens (books avg 184, dvd 197)
    num_epochs: 8,
    patience: 3,
    // paper: AdaDelta (lr 1.0). Without GloVe, AdaDelta left the single-task LSTM at chance
    // (dev 0.47-0.57 on books) after 3 epochs; Adam learns within the CPU budget.
    optimizer: { type: 'adam', lr: 0.001 },
  },
}
