// Scalar broadcasting reference: for every output element, the input elements by NumPy's
// rule (index i in a dim of size 1 reads index 0), computed in double and rounded once.
#include <cstddef>

#include "../elementwise.h"

namespace convkit::ref {

namespace {
int64_t sourceIndex(const std::vector<int64_t>& shape, const std::vector<int64_t>& outIndex) {
  const size_t offset = outIndex.size() - shape.size();
  int64_t index = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    index = index * shape[i] + (shape[i] == 1 ? 0 : outIndex[i + offset]);
  return index;
}
}  // namespace

void binaryBroadcast(BinaryOp op, const float* a, const std::vector<int64_t>& aShape,
                     const float* b, const std::vector<int64_t>& bShape, float* out,
                     const std::vector<int64_t>& outShape) {
  int64_t total = 1;
  for (int64_t d : outShape) total *= d;
  std::vector<int64_t> index(outShape.size(), 0);
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t rest = flat;
    for (size_t i = outShape.size(); i-- > 0;) index[i] = rest % outShape[i], rest /= outShape[i];
    const double x = a[sourceIndex(aShape, index)], y = b[sourceIndex(bShape, index)];
    double r = 0;
    switch (op) {
      case BinaryOp::add: r = x + y; break;
      case BinaryOp::sub: r = x - y; break;
      case BinaryOp::mul: r = x * y; break;
      case BinaryOp::div: r = x / y; break;
    }
    out[flat] = float(r);
  }
}

}  // namespace convkit::ref
