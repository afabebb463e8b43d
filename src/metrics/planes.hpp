#pragma once
// Plane geometry shared by the metric kernels.
#include <array>

#include "codecbench/core/av.hpp"

namespace codecbench::detail {

/// Geometry of a planar frame as FFmpeg's psnr/ssim filters see it.
struct PlaneLayout {
  int count = 0;  ///< number of components (= planes for planar formats)
  int depth = 8;  ///< bits per sample
  bool rgb = false;
  std::array<int, 4> width{};  ///< per plane
  std::array<int, 4> height{};
  std::array<double, 4> weight{};  ///< share of all samples (pixel count / total)
  std::array<char, 4> label{};     ///< 'y','u','v','a' or 'r','g','b','a' (lower case)

  PlaneLayout(AVPixelFormat fmt, int w, int h);
};

}  // namespace codecbench::detail
