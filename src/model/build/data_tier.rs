//! The data tier of a model: databases (primary and read-replica nodes, pools, prices)
//! and caches.

use super::{Builder, check_probability, check_range, price};
use crate::error::{FieldError, join_path};
use crate::model::{Cache, Database, DbNode};

impl Builder<'_> {
    pub(super) fn databases(&mut self) -> Result<Vec<Database>, FieldError> {
        let mut out = Vec::new();
        for (name, d) in &self.spec.databases {
            let path = format!("databases.{name}");
            check_range(&join_path(&path, "cores"), d.cores as f64, 1.0, 10_000.0)?;
            check_range(
                &join_path(&path, "pool_size"),
                d.pool_size as f64,
                1.0,
                1_000_000.0,
            )?;
            check_range(
                &join_path(&path, "read_replicas"),
                d.read_replicas as f64,
                0.0,
                100.0,
            )?;
            let replica = DbNode {
                cores: d.replica_cores.unwrap_or(d.cores),
                pool_size: d.replica_pool_size.unwrap_or(d.pool_size),
            };
            check_range(
                &join_path(&path, "replica_cores"),
                replica.cores as f64,
                1.0,
                10_000.0,
            )?;
            check_range(
                &join_path(&path, "replica_pool_size"),
                replica.pool_size as f64,
                1.0,
                1_000_000.0,
            )?;
            out.push(Database {
                name: name.clone(),
                primary: DbNode {
                    cores: d.cores,
                    pool_size: d.pool_size,
                },
                replica,
                read_replicas: d.read_replicas,
                pool_timeout: d.pool_timeout.0,
                price_per_hour: price(d.price_per_hour, &join_path(&path, "price_per_hour"))?,
                replica_price_per_hour: price(
                    d.replica_price_per_hour.or(d.price_per_hour),
                    &join_path(&path, "replica_price_per_hour"),
                )?,
            });
        }
        Ok(out)
    }

    pub(super) fn caches(&mut self) -> Result<Vec<Cache>, FieldError> {
        let mut out = Vec::new();
        for (name, c) in &self.spec.caches {
            let path = format!("caches.{name}");
            check_probability(&join_path(&path, "hit_ratio"), c.hit_ratio)?;
            let latency = self.distribution(&c.latency, &join_path(&path, "latency"))?;
            out.push(Cache {
                name: name.clone(),
                latency,
                hit_ratio: c.hit_ratio,
                nodes: c.nodes.unwrap_or(1),
                price_per_hour: price(c.price_per_hour, &join_path(&path, "price_per_hour"))?,
            });
        }
        Ok(out)
    }
}
