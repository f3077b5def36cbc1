//! The configurations of a campaign, made from its seed: case `i` depends
//! on the seed and `i` alone, so `--cases N` runs a prefix of what a larger
//! count runs, and any case can be made again to reproduce it.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;

use super::expect::Expect;
use super::mutation::{self, Context, Mutation, Parts, Sites};
use super::variant::{Seed, Variant, variant};

/// One configuration of a campaign: a valid variant of the user's, and at
/// most one mutation of what the plugin reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuzzCase {
    pub index: u32,
    pub variant: Variant,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutation: Option<Mutation>,
}

impl FuzzCase {
    /// The mutation's kind, or `valid`.
    pub fn kind(&self) -> &'static str {
        self.mutation.as_ref().map_or("valid", Mutation::kind)
    }

    /// What a conforming plugin answers.
    pub fn expect(&self, seed: &Seed) -> Expect {
        match &self.mutation {
            None => Expect::valid(self.variant.version),
            Some(m) => m.expect(&self.context(seed)),
        }
    }

    pub fn context(&self, seed: &Seed) -> Context {
        mutation::context(
            &seed.request(&self.variant),
            self.variant.version,
            &seed.versions,
            seed.ipam_own(),
        )
    }

    /// The network name the plugin reads: the mutation's, if it changed
    /// it, else the variant's. Plugins key their state by it.
    pub fn network_name(&self, seed: &Seed) -> String {
        let base = self.variant.network.clone();
        let Some(m) = &self.mutation else {
            return base;
        };
        m.apply(&seed.request(&self.variant))
            .json
            .and_then(|j| j.get("name").and_then(|n| n.as_str()).map(str::to_owned))
            .unwrap_or(base)
    }

    /// One line: the variant and the mutation.
    pub fn describe(&self, seed: &Seed) -> String {
        let variant = self.variant.describe(&seed.target);
        match &self.mutation {
            Some(m) => format!("{}; {variant}", m.describe()),
            None => format!("valid; {variant}"),
        }
    }
}

/// Makes the campaign's cases.
#[derive(Debug)]
pub struct Generator {
    seed: u64,
    variants: BoxedStrategy<Variant>,
    sites: Sites,
    parts: Parts,
    plain: Variant,
}

/// Of ten cases, this many are left valid.
const VALID_IN_TEN: u32 = 3;

impl Generator {
    /// `plugin_dirs`: where plugins live, for absolute `ipam.type` paths.
    pub fn new(seed_config: &Seed, campaign_seed: u64) -> Generator {
        let plugin_dirs: Vec<String> = seed_config
            .target
            .cni_path
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        let base = seed_config.request(&seed_config.plain());
        Generator {
            seed: campaign_seed,
            variants: variant(seed_config),
            sites: Sites::of(&base, &plugin_dirs, &seed_config.versions),
            parts: Parts::new(),
            plain: seed_config.plain(),
        }
    }

    /// Case `index`.
    pub fn case(&self, index: u32) -> FuzzCase {
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed(self.seed, index)),
        );
        let strategy = (
            self.variants.clone(),
            prop_oneof![
                VALID_IN_TEN => Just(None),
                (10 - VALID_IN_TEN) => mutation::mutation(&self.sites, &self.parts).prop_map(Some),
            ],
        );
        // The strategies filter nothing, so making a value cannot fail; were
        // it to, the case is the user's configuration as it is.
        match strategy.new_tree(&mut runner) {
            Ok(tree) => {
                let (variant, mutation) = tree.current();
                FuzzCase {
                    index,
                    variant,
                    mutation,
                }
            }
            Err(_) => FuzzCase {
                index,
                variant: self.plain.clone(),
                mutation: None,
            },
        }
    }
}

/// 32 bytes for ChaCha from the campaign's seed and the case's index
/// (splitmix64: every bit of both reaches every byte).
fn rng_seed(seed: u64, index: u32) -> [u8; 32] {
    let mut state = seed ^ (u64::from(index).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_per_case() {
        assert_ne!(rng_seed(1, 0), rng_seed(1, 1));
        assert_ne!(rng_seed(1, 0), rng_seed(2, 0));
        assert_eq!(rng_seed(7, 3), rng_seed(7, 3));
    }
}
