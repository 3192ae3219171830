// FS-MTL on POS + chunking + NER with the `flat` topology plugin (plugins/flat).
// Needs PTB_POS_DIR, CONLL2000_DIR, CONLL2003_DIR (see plugins.libsonnet).
local plugins = import 'plugins.libsonnet';

plugins.tagging({ type: 'flat' })
