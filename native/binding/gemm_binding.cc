// sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) and its scalar
// reference with the same arguments (for tests).
#include "../kernels/gemm.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

struct GemmArgs {
  bool transA, transB;
  int64_t M, N, K, lda, ldb, ldc;
  float alpha, beta;
  FloatView A, B, C;
};

void checkLd(const Napi::Env& env, const char* op, const char* name, int64_t ld, int64_t cols) {
  if (ld < (cols > 0 ? cols : 1))
    throwRangeError(env, op,
                    std::string(name) + " = " + std::to_string(ld) +
                        " is smaller than the row length " + std::to_string(cols));
}

GemmArgs parseGemmArgs(const Napi::CallbackInfo& info, const char* op) {
  Napi::Env env = info.Env();
  requireArgs(info, op, 13);
  GemmArgs g;
  g.transA = getBool(info, 0, op, "transA");
  g.transB = getBool(info, 1, op, "transB");
  g.M = getIndex(info, 2, op, "M");
  g.N = getIndex(info, 3, op, "N");
  g.K = getIndex(info, 4, op, "K");
  g.alpha = static_cast<float>(getNumber(info, 5, op, "alpha"));
  g.lda = getIndex(info, 7, op, "lda");
  g.ldb = getIndex(info, 9, op, "ldb");
  g.beta = static_cast<float>(getNumber(info, 10, op, "beta"));
  g.ldc = getIndex(info, 12, op, "ldc");
  // Stored shapes: A is M x K (K x M when transposed), B is K x N (N x K when transposed).
  const int64_t aRows = g.transA ? g.K : g.M, aCols = g.transA ? g.M : g.K;
  const int64_t bRows = g.transB ? g.N : g.K, bCols = g.transB ? g.K : g.N;
  checkLd(env, op, "lda", g.lda, aCols);
  checkLd(env, op, "ldb", g.ldb, bCols);
  checkLd(env, op, "ldc", g.ldc, g.N);
  g.A = getFloats(info, 6, op, "A", matrixSpan(env, op, aRows, aCols, g.lda));
  g.B = getFloats(info, 8, op, "B", matrixSpan(env, op, bRows, bCols, g.ldb));
  g.C = getFloats(info, 11, op, "C", matrixSpan(env, op, g.M, g.N, g.ldc));
  return g;
}

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  const GemmArgs g = parseGemmArgs(info, "sgemm");
  KernelCallScope scope;
  sgemm(g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.A.data, g.lda, g.B.data, g.ldb, g.beta,
        g.C.data, g.ldc);
  return info.Env().Undefined();
}

Napi::Value SgemmReference(const Napi::CallbackInfo& info) {
  const GemmArgs g = parseGemmArgs(info, "sgemmReference");
  ref::sgemm(g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.A.data, g.lda, g.B.data, g.ldb,
             g.beta, g.C.data, g.ldc);
  return info.Env().Undefined();
}

Napi::Value SgemmKernelName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), sgemmKernelName());
}

}  // namespace

void registerGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("sgemmReference", Napi::Function::New(env, SgemmReference, "sgemmReference"));
  exports.Set("sgemmKernelName", Napi::Function::New(env, SgemmKernelName, "sgemmKernelName"));
}

}  // namespace convkit::binding
