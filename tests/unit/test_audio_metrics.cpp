#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "codecbench/core/error.hpp"
#include "codecbench/metrics/audio_metrics.hpp"

using namespace codecbench;

namespace {

double db_of(const MetricValues& v) {
  for (const auto& [k, x] : v) {
    if (k == "db") return x;
  }
  FAIL("no db value");
  return 0;
}

AudioChannels noise(std::size_t n, unsigned seed, double amp = 0.3) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0F, static_cast<float>(amp));
  AudioChannels c(1, std::vector<float>(n));
  for (auto& x : c[0]) x = d(rng);
  return c;
}

}  // namespace

TEST_CASE("SNR is the energy ratio of signal and error") {
  AudioChannels s(2, std::vector<float>(1000)), y(2, std::vector<float>(1000));
  for (std::size_t i = 0; i < 1000; ++i) {
    s[0][i] = s[1][i] = std::sin(0.05F * static_cast<float>(i));
    y[0][i] = s[0][i] + (i % 2 == 0 ? 0.01F : -0.01F);  // error energy 1000 * 1e-4
    y[1][i] = s[1][i] + (i % 2 == 0 ? 0.1F : -0.1F);
  }
  double sig = 0;
  for (float v : s[0]) sig += static_cast<double>(v) * v;
  const MetricValues v = find_audio_metric("snr").compute(s, y, 48000);
  const double ch0 = 10 * std::log10(sig / (1000 * 1e-4));
  const double ch1 = 10 * std::log10(sig / (1000 * 1e-2));
  CHECK(v[1].second == doctest::Approx(ch0).epsilon(1e-5));
  CHECK(v[2].second == doctest::Approx(ch1).epsilon(1e-5));
  CHECK(db_of(v) == doctest::Approx((ch0 + ch1) / 2).epsilon(1e-5));
}

TEST_CASE("SI-SDR ignores the decoded signal's scale; SNR does not") {
  const AudioChannels s = noise(20000, 1);
  const AudioChannels n = noise(20000, 2, 0.03);
  AudioChannels y = s, y3 = s;
  for (std::size_t i = 0; i < s[0].size(); ++i) {
    y[0][i] = s[0][i] + n[0][i];
    y3[0][i] = 3.0F * y[0][i];
  }
  const auto& si = find_audio_metric("si_sdr");
  const auto& snr = find_audio_metric("snr");
  CHECK(db_of(si.compute(s, y, 48000)) ==
        doctest::Approx(db_of(si.compute(s, y3, 48000))).epsilon(1e-6));
  CHECK(db_of(si.compute(s, y, 48000)) == doctest::Approx(20.0).epsilon(0.02));  // noise at -20 dB
  CHECK(db_of(snr.compute(s, y3, 48000)) < 0.0);
  CHECK(std::isinf(db_of(si.compute(s, s, 48000))));
}

TEST_CASE("segmental SNR clamps each 20 ms segment to [-10, 35] dB") {
  const AudioChannels s = noise(48000, 3);
  CHECK(db_of(find_audio_metric("segsnr").compute(s, s, 48000)) == doctest::Approx(35.0));
  AudioChannels zero(1, std::vector<float>(48000, 0.0F));
  CHECK(db_of(find_audio_metric("segsnr").compute(s, zero, 48000)) == doctest::Approx(0.0));
}

TEST_CASE("estimate_lag finds a shift of noise and keeps periodic signals at 0") {
  const AudioChannels s = noise(30000, 4);
  for (int shift : {37, -20, 0}) {
    AudioChannels y(1, std::vector<float>(30000, 0.0F));
    for (int i = 0; i < 30000; ++i) {
      const int j = i + shift;  // y[j] = s[i]: y trails s by `shift`
      if (j >= 0 && j < 30000)
        y[0][static_cast<std::size_t>(j)] = s[0][static_cast<std::size_t>(i)];
    }
    CHECK(estimate_lag(s, y, 100) == shift);
  }
  AudioChannels sine(1, std::vector<float>(30000));
  for (std::size_t i = 0; i < sine[0].size(); ++i)
    sine[0][i] = std::sin(0.0627F * static_cast<float>(i));
  CHECK(estimate_lag(sine, sine, 400) == 0);
}

TEST_CASE("unknown audio metric") { CHECK_THROWS_AS(find_audio_metric("pesq"), UsageError); }
