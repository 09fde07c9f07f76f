//! The predikat matrix of PermenPANRB 6/2022: the final grade from the two ratings.
//! Poor behaviour caps the grade whatever the results (`kurang` is "Kurang/Misconduct").

use skp_events::{Predikat, Rating};

/// The predikat for a results rating and a behaviour rating.
pub fn predikat(results: Rating, behaviour: Rating) -> Predikat {
    use Predikat::*;
    use Rating::*;
    match (results, behaviour) {
        (DiAtasEkspektasi, DiAtasEkspektasi) => SangatBaik,
        (DiAtasEkspektasi | SesuaiEkspektasi, SesuaiEkspektasi) => Baik,
        (SesuaiEkspektasi, DiAtasEkspektasi) => Baik,
        (DiAtasEkspektasi | SesuaiEkspektasi, DiBawahEkspektasi) => Kurang,
        (DiBawahEkspektasi, DiBawahEkspektasi) => SangatKurang,
        (DiBawahEkspektasi, SesuaiEkspektasi | DiAtasEkspektasi) => ButuhPerbaikan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Predikat::*;
    use Rating::*;

    #[test]
    fn every_cell_of_the_matrix_matches_the_regulation() {
        let table = [
            (DiAtasEkspektasi, DiBawahEkspektasi, Kurang),
            (DiAtasEkspektasi, SesuaiEkspektasi, Baik),
            (DiAtasEkspektasi, DiAtasEkspektasi, SangatBaik),
            (SesuaiEkspektasi, DiBawahEkspektasi, Kurang),
            (SesuaiEkspektasi, SesuaiEkspektasi, Baik),
            (SesuaiEkspektasi, DiAtasEkspektasi, Baik),
            (DiBawahEkspektasi, DiBawahEkspektasi, SangatKurang),
            (DiBawahEkspektasi, SesuaiEkspektasi, ButuhPerbaikan),
            (DiBawahEkspektasi, DiAtasEkspektasi, ButuhPerbaikan),
        ];
        for (results, behaviour, expected) in table {
            assert_eq!(predikat(results, behaviour), expected, "{results:?} x {behaviour:?}");
        }
    }
}
