/*
 * test_compiler.c - unit tests of the model compiler's stages: import,
 * shapes, folding, plan, emit, the --image parser, and the payload's
 * decoders (tensor files and images) fed valid and hostile bytes.
 *
 * Models are built here with the generated protobuf-c structs, one node
 * at a time, so each test states exactly what it feeds the compiler.
 * Runs under ASan/UBSan in `make test`: the decoders' "no crash" half is
 * checked by the sanitizers.  CLAVE_SHARED (argv[1]) adds the mnist-8
 * checks when the seed's model is there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc.h"
#include "kernels/rt.h"
#include "kernels/rt_decode.h"
#include "onnx.pb-c.h"

static int failures, checks;

#define CHECK(cond)                                                          \
  do {                                                                       \
    checks++;                                                                \
    if (!(cond)) {                                                           \
      failures++;                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

#define CHECK_STR(got, want)                                                 \
  do {                                                                       \
    checks++;                                                                \
    if (strcmp((got), (want)) != 0) {                                        \
      failures++;                                                            \
      fprintf(stderr, "%s:%d: got '%s'\n   expected '%s'\n", __FILE__,       \
              __LINE__, (got), (want));                                      \
    }                                                                        \
  } while (0)

/* ---- building models ----------------------------------------------------- */

typedef struct tm_model {
  Onnx__ModelProto m;
  Onnx__GraphProto g;
  Onnx__OperatorSetIdProto op;
  Onnx__OperatorSetIdProto *ops[1];
  Onnx__NodeProto node;
  Onnx__NodeProto *nodes[1];
  Onnx__ValueInfoProto in[3], out[1];
  Onnx__ValueInfoProto *ins[3], *outs[1];
  Onnx__TypeProto tp[4];
  Onnx__TypeProto__Tensor tt[4];
  Onnx__TensorShapeProto sh[4];
  Onnx__TensorShapeProto__Dimension dim[4][4];
  Onnx__TensorShapeProto__Dimension *dims[4][4];
  char *node_in[3], *node_out[1];
  Onnx__TensorProto init;
  Onnx__TensorProto *inits[1];
  Onnx__AttributeProto attr;
  Onnx__AttributeProto *attrs[1];
} tm_model;

static void tm_value(tm_model *t, Onnx__ValueInfoProto *vi, int k, const char *name,
                     int rank, const int64_t *dims, const char *sym) {
  onnx__value_info_proto__init(vi);
  onnx__type_proto__init(&t->tp[k]);
  onnx__type_proto__tensor__init(&t->tt[k]);
  onnx__tensor_shape_proto__init(&t->sh[k]);
  vi->name = (char *)name;
  vi->type = &t->tp[k];
  t->tp[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  t->tp[k].tensor_type = &t->tt[k];
  t->tt[k].has_elem_type = 1;
  t->tt[k].elem_type = 1;
  t->tt[k].shape = &t->sh[k];
  t->sh[k].n_dim = (size_t)rank;
  t->sh[k].dim = t->dims[k];
  for (int i = 0; i < rank; i++) {
    onnx__tensor_shape_proto__dimension__init(&t->dim[k][i]);
    if (sym && i == 0) {
      t->dim[k][i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      t->dim[k][i].dim_param = (char *)sym;
    } else {
      t->dim[k][i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      t->dim[k][i].dim_value = dims[i];
    }
    t->dims[k][i] = &t->dim[k][i];
  }
}

/* A model of one node op(a[, b]) -> y; b may be an initializer. */
static uint8_t *tm_build(const char *op, int ra, const int64_t *da, int rb,
                         const int64_t *db, const float *binit, int ry,
                         const int64_t *dy, const char *sym, size_t *len) {
  tm_model t;
  memset(&t, 0, sizeof t);
  onnx__model_proto__init(&t.m);
  onnx__graph_proto__init(&t.g);
  onnx__operator_set_id_proto__init(&t.op);
  onnx__node_proto__init(&t.node);
  t.m.has_ir_version = 1;
  t.m.ir_version = 7;
  t.op.has_version = 1;
  t.op.version = 13;
  t.ops[0] = &t.op;
  t.m.n_opset_import = 1;
  t.m.opset_import = t.ops;
  t.m.graph = &t.g;
  t.g.name = "g";
  t.node.op_type = (char *)op;
  t.node.name = "n0";
  t.node_in[0] = "a";
  t.node_in[1] = "b";
  t.node.n_input = rb >= 0 ? 2 : 1;
  t.node.input = t.node_in;
  t.node_out[0] = "y";
  t.node.n_output = 1;
  t.node.output = t.node_out;
  t.nodes[0] = &t.node;
  t.g.n_node = 1;
  t.g.node = t.nodes;
  tm_value(&t, &t.in[0], 0, "a", ra, da, sym);
  t.ins[0] = &t.in[0];
  t.g.n_input = 1;
  if (rb >= 0 && !binit) {
    tm_value(&t, &t.in[1], 1, "b", rb, db, NULL);
    t.ins[1] = &t.in[1];
    t.g.n_input = 2;
  } else if (rb >= 0) {
    onnx__tensor_proto__init(&t.init);
    t.init.name = "b";
    t.init.has_data_type = 1;
    t.init.data_type = 1;
    t.init.n_dims = (size_t)rb;
    t.init.dims = (int64_t *)db;
    int64_t n = 1;
    for (int i = 0; i < rb; i++)
      n *= db[i];
    t.init.n_float_data = (size_t)n;
    t.init.float_data = (float *)binit;
    t.inits[0] = &t.init;
    t.g.n_initializer = 1;
    t.g.initializer = t.inits;
  }
  t.g.input = t.ins;
  tm_value(&t, &t.out[0], 2, "y", ry, dy, NULL);
  t.outs[0] = &t.out[0];
  t.g.n_output = 1;
  t.g.output = t.outs;
  *len = onnx__model_proto__get_packed_size(&t.m);
  uint8_t *buf = malloc(*len);
  onnx__model_proto__pack(&t.m, buf);
  return buf;
}

/* ---- import, shapes, folding, plan, emit ---------------------------------- */

static void test_import_errors(void) {
  cc_graph *g;
  clave_error err = {0};
  const uint8_t junk[] = {0xff, 0xff, 0xff, 0x01, 0x02};
  CHECK(cc_import_onnx(junk, sizeof junk, "junk.onnx", NULL, &g, &err) ==
        CLAVE_EMALFORMED);
  CHECK_STR(err.message, "junk.onnx: not an ONNX model (the protobuf does not decode)");
  CHECK(g == NULL);

  int64_t d[2] = {2, 3};
  size_t len;
  uint8_t *m = tm_build("Frobnicate", 2, d, -1, NULL, NULL, 2, d, NULL, &len);
  CHECK(cc_prepare(m, len, "frob.onnx", NULL, &g, &err) == CLAVE_EUNSUPPORTED);
  CHECK_STR(err.message, "frob.onnx: node 'n0' (Frobnicate): unsupported operator 'Frobnicate'");
  free(m);

  m = tm_build("Relu", 2, d, -1, NULL, NULL, 2, d, "batch", &len);
  CHECK(cc_prepare(m, len, "sym.onnx", NULL, &g, &err) == CLAVE_EUNSUPPORTED);
  CHECK_STR(err.message, "sym.onnx: input 'a' has the symbolic dimension #0 (fix it "
                         "with --shape a=DIMS)");
  clave_compile_options o;
  clave_compile_options_init(&o);
  const char *shapes[] = {"a=4x3"};
  o.shapes = shapes;
  o.nshapes = 1;
  CHECK(cc_prepare(m, len, "sym.onnx", &o, &g, &err) == CLAVE_OK);
  CHECK(g && g->vals[g->outputs[0]]->dims[0] == 4);
  cc_graph_free(g);
  const char *bad[] = {"a=4x3x2"};
  o.shapes = bad;
  CHECK(cc_prepare(m, len, "sym.onnx", &o, &g, &err) == CLAVE_EARG);
  CHECK_STR(err.message, "--shape a=4x3x2: input 'a' has rank 2, not 3");
  free(m);
}

static void test_broadcast_and_run(void) {
  int64_t da[2] = {2, 3}, db[1] = {3};
  const float b[3] = {10, 20, 30};
  size_t len;
  cc_graph *g;
  clave_error err = {0};
  uint8_t *m = tm_build("Add", 2, da, 1, db, b, 2, da, NULL, &len);
  CHECK(cc_prepare(m, len, "add.onnx", NULL, &g, &err) == CLAVE_OK);
  free(m);
  if (!g)
    return;
  CHECK(g->ninputs == 1);
  cc_value *y = g->vals[g->outputs[0]];
  CHECK(y->rank == 2 && y->dims[0] == 2 && y->dims[1] == 3 && y->dtype == CK_FLOAT);
  const float a[6] = {1, 2, 3, 4, 5, 6};
  const void *ins[1] = {a};
  void *outs[1] = {NULL};
  CHECK(cc_run_native(g, ins, outs, &err) == CLAVE_OK);
  const float want[6] = {11, 22, 33, 14, 25, 36};
  CHECK(outs[0] && memcmp(outs[0], want, sizeof want) == 0);
  free(outs[0]);
  cc_graph_free(g);

  int64_t dbad[1] = {4};
  const float b4[4] = {0};
  m = tm_build("Add", 2, da, 1, dbad, b4, 2, da, NULL, &len);
  CHECK(cc_prepare(m, len, "bad.onnx", NULL, &g, &err) == CLAVE_EINVALID);
  CHECK_STR(err.message, "bad.onnx: node 'n0' (Add): shapes [2,3] ('a') and [4] ('b') "
                         "do not broadcast");
  free(m);

  /* a Reshape whose shape is a runtime input cannot be compiled */
  int64_t ds[1] = {2};
  m = tm_build("Reshape", 2, da, 1, ds, NULL, 2, da, NULL, &len);
  CHECK(cc_prepare(m, len, "rs.onnx", NULL, &g, &err) == CLAVE_EUNSUPPORTED);
  CHECK_STR(err.message, "rs.onnx: node 'n0' (Reshape): input 'b' decides a shape but "
                         "is not a constant (bind it with --const b=FILE.pb)");
  free(m);
}

/* every pair of arena tensors live at the same time must not overlap */
static void check_plan(const cc_graph *g) {
  CHECK(g->arena_size > 0);
  int overlaps = 0;
  for (int i = 0; i < g->nvals; i++) {
    const cc_value *a = g->vals[i];
    if (a->data || a->alias >= 0 || a->first < 0)
      continue;
    CHECK(a->offset % 64 == 0);
    CHECK(a->offset + (int64_t)cc_nbytes(a) <= g->arena_size);
    for (int j = i + 1; j < g->nvals; j++) {
      const cc_value *b = g->vals[j];
      if (b->data || b->alias >= 0 || b->first < 0)
        continue;
      bool live = !(a->last < b->first || b->last < a->first);
      bool mem = a->offset < b->offset + (int64_t)cc_nbytes(b) &&
                 b->offset < a->offset + (int64_t)cc_nbytes(a);
      if (live && mem && cc_nbytes(a) && cc_nbytes(b))
        overlaps++;
    }
  }
  CHECK(overlaps == 0);
}

static void test_mnist_stages(const char *shared) {
  char path[4096];
  snprintf(path, sizeof path, "%s/models/mnist-8/model.onnx", shared);
  uint8_t *bytes;
  size_t len;
  clave_error err = {0};
  if (cc_read_file(path, &bytes, &len, &err)) {
    printf("skip: mnist-8 stages (%s)\n", err.message);
    return;
  }
  cc_graph *g;
  CHECK(cc_prepare(bytes, len, path, NULL, &g, &err) == CLAVE_OK);
  free(bytes);
  if (!g)
    return;
  CHECK(g->ninputs == 1 && g->noutputs == 1);
  const cc_value *in = g->vals[g->inputs[0]], *out = g->vals[g->outputs[0]];
  CHECK_STR(in->name, "Input3");
  CHECK(in->rank == 4 && in->dims[1] == 1 && in->dims[2] == 28 && in->dims[3] == 28);
  CHECK_STR(out->name, "Plus214_Output_0");
  CHECK(out->rank == 2 && out->dims[0] == 1 && out->dims[1] == 10);
  CHECK(g->nfolded >= 1);          /* the Reshape's shape initializer path */
  CHECK(g->ncalls < g->nnodes);    /* bias Add and Relu fused into Conv */
  check_plan(g);
  cc_ctx c = {g, &err, NULL};
  char *src = NULL;
  CHECK(cc_emit_c(&c, NULL, 0, &src, &err) == CLAVE_OK);
  CHECK(src && strstr(src, "RT_CALL(ck_conv_f32(P0, T)"));
  /* weights are not in the source: it is smaller than the weights */
  CHECK(src && (int64_t)strlen(src) < g->weights_size);
  free(src);
  cc_graph_free(g);
}

/* ---- --image -------------------------------------------------------------- */

static void test_image_spec(void) {
  cc_image_spec s;
  clave_error err = {0};
  CHECK(cc_image_spec_parse("28x28,gray,scale=1/255", &s, &err) == CLAVE_OK);
  CHECK(s.width == 28 && s.height == 28 && s.channels == 1 &&
        fabs(s.scale - 1.0 / 255) < 1e-12);
  CHECK(cc_image_spec_parse("224x224,rgb,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,nhwc",
                            &s, &err) == CLAVE_OK);
  CHECK(s.channels == 3 && s.nhwc == 1 && s.mean[1] == 0.456 && s.std[2] == 0.225);
  CHECK(cc_image_spec_parse("28,gray", &s, &err) == CLAVE_EARG);
  CHECK_STR(err.message, "--image 28,gray: starts with WIDTHxHEIGHT (e.g. 28x28)");
  CHECK(cc_image_spec_parse("28x28,grey,scale=1/0", &s, &err) == CLAVE_EARG);
  CHECK_STR(err.message, "--image 28x28,grey,scale=1/0: bad scale '1/0'");
  CHECK(cc_image_spec_parse("28x28,sepia", &s, &err) == CLAVE_EARG);
  CHECK_STR(err.message, "--image 28x28,sepia: unknown field 'sepia' (gray, rgb, nchw, "
                         "nhwc, scale=, mean=, std=)");
}

/* ---- decoders --------------------------------------------------------------- */

static uint32_t crc_table_entry(uint32_t c) {
  for (int k = 0; k < 8; k++)
    c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
  return c;
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++)
    c = crc_table_entry((c ^ p[i]) & 0xff) ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
  p[3] = (uint8_t)v;
}

/* a w x h gray PNG with one stored deflate block, filter 'sub' on row 1 */
static size_t make_png(uint8_t *out, int w, int h, const uint8_t *px) {
  uint8_t raw[1024];
  size_t rl = 0;
  for (int y = 0; y < h; y++) {
    raw[rl++] = y == 1 ? 1 : 0;
    for (int x = 0; x < w; x++) {
      uint8_t v = px[y * w + x];
      if (y == 1 && x > 0)
        v = (uint8_t)(v - px[y * w + x - 1]);
      raw[rl++] = v;
    }
  }
  size_t n = 0;
  memcpy(out, "\x89PNG\r\n\x1a\n", 8);
  n = 8;
  uint8_t ihdr[13] = {0};
  put32(ihdr, (uint32_t)w);
  put32(ihdr + 4, (uint32_t)h);
  ihdr[8] = 8, ihdr[9] = 0;
  const struct {
    const char *type;
    const uint8_t *data;
    size_t len;
  } chunks[3] = {{"IHDR", ihdr, 13}, {"IDAT", NULL, 0}, {"IEND", NULL, 0}};
  uint8_t z[1100];
  size_t zl = 0;
  z[zl++] = 0x78, z[zl++] = 0x01; /* zlib header */
  z[zl++] = 1;                    /* final stored block */
  z[zl++] = (uint8_t)rl, z[zl++] = (uint8_t)(rl >> 8);
  z[zl++] = (uint8_t)~rl, z[zl++] = (uint8_t)(~rl >> 8);
  memcpy(z + zl, raw, rl);
  zl += rl;
  memset(z + zl, 0, 4); /* adler32 is not checked */
  zl += 4;
  for (int c = 0; c < 3; c++) {
    const uint8_t *data = c == 1 ? z : chunks[c].data;
    size_t len = c == 1 ? zl : chunks[c].len;
    put32(out + n, (uint32_t)len);
    memcpy(out + n + 4, chunks[c].type, 4);
    if (len)
      memcpy(out + n + 8, data, len);
    put32(out + n + 8 + len, crc32_of(out + n + 4, len + 4));
    n += 12 + len;
  }
  return n;
}

static void test_images(const char *shared) {
  char err[RT_ERR_LEN];
  rt_img img;
  const uint8_t px[6] = {0, 50, 100, 150, 200, 250};
  uint8_t png[2048];
  size_t n = make_png(png, 3, 2, px);
  CHECK(rt_is_image(png, n));
  CHECK(rt_decode_image(png, n, &img, err) == 0);
  CHECK(img.w == 3 && img.h == 2 && img.c == 1 && memcmp(img.px, px, 6) == 0);
  free(img.px);
  /* every truncation is an error, never a crash */
  int errors = 0;
  for (size_t cut = 0; cut < n - 12; cut++) {
    if (rt_decode_image(png, cut, &img, err) != 0)
      errors++;
    else
      free(img.px);
  }
  CHECK(errors == (int)(n - 12));
  CHECK(rt_decode_png(png, 40, &img, err) == -1);
  /* a header promising a huge image is refused before allocating */
  uint8_t big[2048];
  memcpy(big, png, n);
  put32(big + 16, 100000);
  put32(big + 20, 100000);
  CHECK(rt_decode_png(big, n, &img, err) == -1);
  CHECK_STR(err, "PNG: bad size 100000x100000");

  const char pgm[] = "P5\n# comment\n2 2\n255\n\x01\x02\x03\xff";
  CHECK(rt_decode_image((const uint8_t *)pgm, sizeof pgm - 1, &img, err) == 0);
  CHECK(img.w == 2 && img.h == 2 && img.px[3] == 255);
  free(img.px);
  const char pgm_short[] = "P5 4 4 255\n\x01\x02";
  CHECK(rt_decode_image((const uint8_t *)pgm_short, sizeof pgm_short - 1, &img, err) == -1);
  CHECK_STR(err, "PNM: pixel data is truncated");
  const uint8_t junk[] = "GIF89a....";
  CHECK(rt_decode_image(junk, sizeof junk, &img, err) == -1);
  CHECK_STR(err, "input is not a PNG, JPEG, PGM or PPM image");

  /* preprocessing: 3x2 gray into a 3x2 float tensor scaled by 1/255 */
  float t[6];
  const float mean[3] = {0, 0, 0}, stdv[3] = {1, 1, 1};
  rt_img g6 = {3, 2, 1, (uint8_t *)px};
  CHECK(rt_image_to_tensor(&g6, 3, 2, 1, 0, 1.0f / 255, mean, stdv, CK_FLOAT, t, err) == 0);
  CHECK(fabsf(t[5] - 250.0f / 255) < 1e-6f);

  char path[4096];
  snprintf(path, sizeof path, "%s/models/mnist-8/img_10.jpg", shared);
  uint8_t *jpg;
  size_t jl;
  clave_error e = {0};
  if (cc_read_file(path, &jpg, &jl, &e)) {
    printf("skip: img_10.jpg decoding (%s)\n", e.message);
    return;
  }
  CHECK(rt_decode_image(jpg, jl, &img, err) == 0);
  CHECK(img.w == 28 && img.h == 28 && img.c == 1);
  free(img.px);
  errors = 0;
  for (size_t cut = 0; cut < jl; cut += 7) {
    if (rt_decode_jpeg(jpg, cut, &img, err) != 0)
      errors++;
    else
      free(img.px);
  }
  CHECK(errors > 0);
  /* flipped bytes: any outcome but a crash */
  uint8_t *mut = malloc(jl);
  for (size_t i = 2; i < jl; i += 3) {
    memcpy(mut, jpg, jl);
    mut[i] ^= 0x5a;
    if (rt_decode_jpeg(mut, jl, &img, err) == 0)
      free(img.px);
  }
  free(mut);
  mut = malloc(jl);
  memcpy(mut, jpg, jl);
  for (size_t i = 0; i + 1 < jl; i++)
    if (mut[i] == 0xFF && mut[i + 1] == 0xC0)
      mut[i + 1] = 0xC2;
  CHECK(rt_decode_jpeg(mut, jl, &img, err) == -1);
  CHECK_STR(err, "JPEG: progressive JPEG is not supported");
  free(mut);
  free(jpg);
}

static void test_tensor_files(void) {
  char err[RT_ERR_LEN];
  const float v[4] = {1.5f, -2, 3, 4};
  const int64_t dims[2] = {2, 2};
  size_t len;
  uint8_t *pb = cc_tensor_pb_encode("x", CK_FLOAT, 2, dims, v, &len);
  float out[4] = {0};
  CHECK(rt_decode_tensor(pb, len, RT_FMT_AUTO, CK_FLOAT, 2, dims, out, 16, err) == 0);
  CHECK(memcmp(out, v, 16) == 0);
  CHECK(rt_decode_tensor(pb, len, RT_FMT_PB, CK_INT32, 2, dims, out, 16, err) == -1);
  CHECK_STR(err, "tensor file has element type 1, the input needs 6");
  const int64_t d3[1] = {3};
  CHECK(rt_decode_tensor(pb, len, RT_FMT_PB, CK_FLOAT, 1, d3, out, 12, err) == -1);
  CHECK_STR(err, "tensor file holds 16 bytes of data, the input needs 12");
  int errors = 0;
  for (size_t cut = 1; cut < len; cut++)
    if (rt_decode_tensor(pb, cut, RT_FMT_PB, CK_FLOAT, 2, dims, out, 16, err) != 0)
      errors++;
  CHECK(errors == (int)len - 1);
  free(pb);
  /* the decoder in libclave agrees */
  int dt, rank;
  int64_t dd[CC_MAX_RANK];
  void *data;
  clave_error e = {0};
  pb = cc_tensor_pb_encode("x", CK_FLOAT, 2, dims, v, &len);
  CHECK(cc_tensor_pb_decode(pb, len, "x.pb", NULL, &dt, &rank, dd, &data, NULL, &e) ==
        CLAVE_OK);
  CHECK(dt == CK_FLOAT && rank == 2 && memcmp(data, v, 16) == 0);
  free(data);
  free(pb);

  const char hdr[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  uint8_t npy[256];
  size_t hl = sizeof hdr - 1;
  memcpy(npy, "\x93NUMPY\x01\x00", 8);
  npy[8] = (uint8_t)hl, npy[9] = 0;
  memcpy(npy + 10, hdr, hl);
  memcpy(npy + 10 + hl, v, 16);
  CHECK(rt_decode_tensor(npy, 10 + hl + 16, RT_FMT_AUTO, CK_FLOAT, 2, dims, out, 16, err) == 0);
  CHECK(memcmp(out, v, 16) == 0);
  CHECK(rt_decode_tensor(npy, 10 + hl + 8, RT_FMT_NPY, CK_FLOAT, 2, dims, out, 16, err) == -1);
  CHECK_STR(err, "npy data is truncated");
  CHECK(rt_decode_tensor((const uint8_t *)v, 12, RT_FMT_RAW, CK_FLOAT, 2, dims, out, 16,
                         err) == -1);
  CHECK_STR(err, "raw input has 12 bytes, the input needs 16");
}

int main(int argc, char **argv) {
  const char *shared = argc > 1 ? argv[1] : "../shared";
  test_import_errors();
  test_broadcast_and_run();
  test_mnist_stages(shared);
  test_image_spec();
  test_images(shared);
  test_tensor_files();
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
