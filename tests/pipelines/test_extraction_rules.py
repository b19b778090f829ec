"""The organisation, place and role rules of the actor extraction, each on a short French text, with the real
spaCy model (its own NER, so that each rule is tested on what spaCy guesses) and the lexicons of models/; the
last tests run the product's pipeline (the fine-tuned NER of models/ner/) on the cases the rules exist for."""

import pytest

from pipelines.analysis import load_extractors
from pipelines.extraction import ActorExtractor, RoleCues, load_nlp
from pipelines.extraction_rules import Communes, PlaceLexicon, commune_key, first_names_taken_for_places
from pipelines.settings import Settings


@pytest.fixture(scope="module")
def extractor():
    models = Settings().models_dir
    nlp = load_nlp(Settings().spacy_model, models / "organisations.yaml", models / "roles.yaml", models / "places.yaml")
    return ActorExtractor(nlp, RoleCues.from_file(models / "roles.yaml"))


def _runner(extractor):
    def run(text: str) -> dict[str, tuple[str, str | None]]:
        [mentions] = extractor.predict([text])
        return {m.name: (m.kind, m.role) for m in mentions}

    return run


@pytest.fixture(scope="module")
def actors(extractor):
    return _runner(extractor)


def kinds(found: dict[str, tuple[str, str | None]]) -> set[tuple[str, str]]:
    return {(name, kind) for name, (kind, _) in found.items()}


# --- organisations ------------------------------------------------------------------------------------


def test_a_body_name_runs_over_its_complements(actors):
    found = actors(
        "à M. le Président de la Fédération de Haute-Saône pour la Pêche et la Protection du Milieu\nAquatique,\n"
        "Le service réfléchit à un SIG avec l’Agglomération de Compiègne et de la Basse Automne, et la Région."
    )
    assert ("Fédération de Haute-Saône pour la Pêche et la Protection du Milieu Aquatique", "organisation") in kinds(found)
    assert ("Agglomération de Compiègne et de la Basse Automne", "organisation") in kinds(found)


def test_lexicon_heads_match_without_accents(actors):
    found = actors("Il est décidé de solliciter l'Etablissement Public Foncier Local du Département de l'Oise.")
    assert kinds(found) == {("Etablissement Public Foncier Local du Département de l'Oise", "organisation")}


def test_a_name_after_a_word_that_says_what_it_is_is_a_body(actors):
    found = actors(
        "Vu avec l’association « Verger vivant » pour les arbres. Il a été demandé à Verger Vivant un devis. "
        "L'assemblée nomme la société ARESCOP réviseur et désigne la SA PICARDIE HABITAT comme opérateur. "
        "Je dirige une association qui s'appelle Terres en Ville."
    )
    assert {("Verger vivant", "organisation"), ("ARESCOP", "organisation"), ("PICARDIE HABITAT", "organisation"),
            ("Terres en Ville", "organisation")} <= kinds(found)
    assert not {name for name, (kind, _) in found.items() if kind != "organisation" and "Verger" in name}
    assert found["ARESCOP"][1] == found["PICARDIE HABITAT"][1] == "socio_economique"
    assert "SA PICARDIE HABITAT" not in found  # the legal form is not part of the name (corpus/gold/README.md)


def test_a_body_name_after_its_noun_runs_over_its_links(actors):
    found = actors(
        "Le parc éolien, porté par la société Vents d’Ouest Vérlane, prévoit six éoliennes. "
        "La commune loue la salle à l'association Pierre qui Tourne et à l'entreprise Bois d'Anjou."
    )
    assert {("Vents d’Ouest Vérlane", "organisation"), ("Pierre qui Tourne", "organisation"),
            ("Bois d'Anjou", "organisation")} <= kinds(found)
    assert not {"Vents", "Pierre", "Bois"} & found.keys()


def test_legal_forms_are_left_out_of_a_company_name_and_are_no_name_alone(actors):
    found = actors("Le marché est attribué à la SAS JVS MAIRISTEM. La SPL ADTO SAO présente son rapport. Statuts : SCIC SAS.")
    assert {("JVS MAIRISTEM", "organisation"), ("ADTO SAO", "organisation")} <= kinds(found)
    assert not {name for name in found if name.split()[0] in ("SAS", "SPL", "SCIC")}


def test_headings_made_of_common_words_are_no_bodies(actors):
    found = actors(
        "Déficit antérieur | 12 000\nFinancement complémentaire | 3 000\nTOTAL | 15 000\nVISA du contrôle\n"
        "Il est nommé chevalier dans l'Ordre National du Mérite. La SAUR réalise les contrôles, avec M.ROBERT."
    )
    assert not {"Déficit antérieur", "Financement complémentaire", "TOTAL", "VISA", "Ordre National du Mérite"} & set(found)
    assert ("SAUR", "organisation") in kinds(found)  # a company whose name is an adjective ("saur") stays
    assert ("ROBERT", "person") in kinds(found)  # a civility makes a person of a common noun


def test_an_acronym_with_its_department_number_is_a_body(actors):
    found = actors(
        "Adhésion 2026 au CAUE60. Financeurs : CD60 ; Montant : 9 000 €. Le suivi est assuré par le SE60.\n"
        "Contrat d’assurance des risques statutaires du CDG 60\nZone d'alerte RM21 : vigilance. La RD 932 est fermée."
    )
    assert {("CAUE60", "organisation"), ("CD60", "organisation"), ("SE60", "organisation"),
            ("CDG 60", "organisation")} <= kinds(found)
    assert not {name for name in found if name.startswith(("RM", "RD"))}


def test_the_state_acts_after_a_verb_or_aupres_de_not_after_a_noun(actors):
    assert ("Etat", "organisation") in kinds(actors("Sollicitation d’une subvention auprès de l’Etat au titre de la DETR."))
    assert ("État", "organisation") in kinds(actors("L’autorisation du parc relève de l’État, rappelle la présidente."))
    assert not actors("Les services de l’État accompagnent la commune.")


def test_a_capitalised_head_word_left_out_by_spacy_takes_its_name(actors):
    found = actors("Prévention des Inondations (PI) Entente Oise Aisne 42 835 €")
    assert ("Entente Oise Aisne", "organisation") in kinds(found)
    assert not {("Oise", "place"), ("Aisne", "place")} & kinds(found)


def test_two_bodies_joined_by_et_stay_two(actors):
    found = actors("Une réunion s'est tenue avec la Ville de Lyon et la Métropole de Lyon.")
    assert {("Ville de Lyon", "organisation"), ("Métropole de Lyon", "organisation")} <= kinds(found)


def test_a_title_in_an_entity_gives_the_body_it_serves(actors):
    assert ("CCLO", "organisation") in kinds(actors("Rapporteur : M. Franck SUPERBI, Président de la CCLO."))
    assert kinds(actors("Le Secrétaire général de la préfecture est chargé de l'exécution.")) == {("préfecture", "organisation")}


def test_a_body_in_brackets_after_a_person_or_apposed_to_its_name(actors):
    found = actors("Un grand merci à Xavier Delposen (Co-evolution) pour le dessin.\nO’Tech, l’école de production, recrute.")
    assert {("Xavier Delposen", "person"), ("Co-evolution", "organisation"), ("O’Tech", "organisation")} <= kinds(found)


def test_companies_at_the_end_of_table_rows_and_their_labels(actors):
    found = actors(
        "DEEE ECOLOGIC\nHuiles moteur SEVIA\nPneus DELTA GOM (60400 Cuts)\n"
        "Ferrailles GALLOO CLAIROIX / ALPHA METAL\nTVI Idex / Iddeo (60870 Villers-Saint-Paul)\nPRÉVENTION DES DÉCHETS"
    )
    companies = {name for name, (kind, _) in found.items() if kind == "organisation"}
    assert companies == {"ECOLOGIC", "SEVIA", "DELTA GOM", "GALLOO CLAIROIX", "ALPHA METAL", "Idex", "Iddeo"}
    assert {("Cuts", "place"), ("Villers-Saint-Paul", "place")} <= kinds(found)
    assert not {"Pneus", "Ferrailles", "TVI", "PRÉVENTION DES DÉCHETS"} & set(found)


def test_an_acronym_after_an_article_is_a_body_unless_it_names_a_plan(actors):
    found = actors("Délibération sur le rapport d’activité de la CCPH et sur la révision du PLU. Vu avec la LPO .")
    assert {("CCPH", "organisation"), ("LPO", "organisation")} <= kinds(found)
    assert "PLU" not in found


def test_a_department_or_region_is_a_place_unless_the_body_acts(actors):
    assert kinds(actors("Il y a 34 pôles dans le département de l’Oise.")) == {("Oise", "place")}
    assert ("région Bretagne", "organisation") in kinds(actors("La région Bretagne a décidé tout autre chose."))
    assert ("région", "organisation") in kinds(actors("L’ensemble est subventionné par la région à hauteur de 80%."))


def test_a_name_said_to_be_a_body_by_a_copula(actors):
    found = actors("Capt’air Bretagne est une association régionale qui effectue un suivi pollinique.")
    assert found == {"Capt’air Bretagne": ("organisation", "socio_economique")}


def test_a_body_premises_used_as_a_location_is_a_place(actors):
    found = actors("Un capteur est installé sur le toit du centre hospitalier de Dinan.")
    assert kinds(found) == {("centre hospitalier de Dinan", "place")}


def test_lexicon_names_glued_by_pdf_extraction(actors):
    assert actors("Partenaires : Producteurs d’eau Chambred’agriculture") == {
        "Chambred’agriculture": ("organisation", "socio_economique")
    }


def test_kinds_of_bodies_are_actors_only_after_a_definite_article(actors):
    assert not actors("Les cotisations des syndicats et EPTB auprès desquels la compétence est transférée.").keys() & {"EPTB"}
    assert "PETR" in actors("Le PETR a validé le projet.")


def test_an_establishment_named_after_its_kind_is_one_body(actors):
    found = actors("Quand le lycée Jean Moulin a fermé, ma grand-mère vivait à l'EHPAD d'Autierne. "
                   "Un partenariat avec le lycée agricole de Caulnes est engagé.")
    assert kinds(found) == {("lycée Jean Moulin", "organisation"), ("EHPAD d'Autierne", "organisation"),
                            ("lycée agricole de Caulnes", "organisation")}
    assert not actors("L'école de production reçoit des jeunes. ÉCOLE POUR LES FUTURS INGÉNIEURS")
    assert kinds(actors("Les élèves de l'école Jules Ferry et du collège Victor Hugo.")) == {
        ("école Jules Ferry", "organisation"), ("collège Victor Hugo", "organisation")}  # named after people
    assert not actors("L'école Maternelle est fermée.")


def test_a_local_authoritys_services_are_a_body_of_its_agents(actors):
    found = actors("La régie fait appel aux agents des Services Techniques. Les services de la CCLO assurent "
                   "la communication. Le service de l'eau facture.")
    assert found == {"Services Techniques": ("organisation", "agent"), "services de la CCLO": ("organisation", "agent")}
    assert not actors("Les services de l'État ont instruit le dossier.")
    assert actors("Les services de la DREAL ont rendu un avis.") == {"DREAL": ("organisation", "etat")}


def test_national_acronyms_also_match_capitalised(actors):
    found = actors("Article 6451 - Cotisation à l’Urssaf ; contributions à la caisse de retraite (CNRACL).")
    assert kinds(found) == {("Urssaf", "organisation"), ("CNRACL", "organisation")}
    assert not actors("Ars longa, vita brevis.").keys() & {"Ars"}


def test_a_department_number_after_an_acronym_belongs_to_its_name(actors):
    found = actors("La commission d’appel d’offres du CDG 60 s’est réunie. APPROUVE l’adhésion au CAUE 60 ; "
                   "le SDEM 56 qui dispose d'un réseau.")
    assert kinds(found) >= {("CDG 60", "organisation"), ("CAUE 60", "organisation"), ("SDEM 56", "organisation")}
    counts = actors("La convention du CDG 12 votes pour. Contribution au SIVOC 11. Indemnité de conseil.\n"
                    "Contribution au SDIS 45\nTotal 120")
    assert not counts.keys() & {"CDG 12", "SIVOC 11", "SDIS 45"}


def test_state_bodies_in_lower_case_shops_and_trailing_legal_forms(actors):
    found = actors("Le ministère de l'agriculture, l'Éducation nationale, les services préfectoraux et la trésorerie "
                   "de Compiègne sont consultés. Recours devant le tribunal administratif de Besançon.")
    assert {name for name, (_, role) in found.items() if role == "etat"} == {
        "ministère de l'agriculture", "Éducation nationale", "services préfectoraux", "trésorerie de Compiègne",
        "tribunal administratif de Besançon",
    }
    shops = actors("Food trucks : Chez Martine le mardi. Chez nous, la mairie décide. La société MINERIS SAS est retenue.")
    assert kinds(shops) == {("Chez Martine", "organisation"), ("MINERIS", "organisation")}
    assert not actors("Chez Enedis, le raccordement prend trois mois. Chez Monsieur Dupont, on a voté.").keys() & {
        "Chez Enedis", "Chez Monsieur Dupont", "Chez Monsieur"}


def test_streets_never_swallow_a_body_nor_a_road_map(product):
    found = product("Les actions suivent la feuille de route du Conseil Départemental adoptée en juin. La mise en route "
                    "de la Communauté de Communes du Pays de Bray est prévue. Contact : 12 rue Nationale SMDO. "
                    "L'association Chemin Faisant organise une marche.")
    assert {("Conseil Départemental", "organisation"), ("Communauté de Communes du Pays de Bray", "organisation"),
            ("SMDO", "organisation"), ("Chemin Faisant", "organisation")} <= kinds(found)
    assert not any(kind == "place" for name, kind in kinds(found) if name != "rue Nationale")
    assert not product("MISE EN PLACE D'UN SERVICE COMMUN\nLe service sera créé en mars.")


def test_compounds_in_capitals_are_no_bodies_and_unaccented_communes_stay(product):
    assert not product("La loi ANTI-GASPILLAGE pour une économie circulaire a été votée. Madame la SOUS-PREFETE a "
                       "rappelé les règles. Les produits NON-CONFORME sont listés.")
    assert "PRÉFET DE LA HAUTE-SAÔNE" not in product(
        "LE PRÉFET DE LA HAUTE-SAÔNE Chevalier de la Légion d’Honneur a signé l'arrêté ce jour.")
    assert {("Arques", "place"), ("Broye", "place")} <= kinds(product("La réunion a lieu à Arques avec le maire de Broye."))
    assert not any(kind == "place" for _, kind in kinds(product("Budget nº 40015 SPANC-CCLO voté à l'unanimité.")))


def test_courts_of_accounts_and_the_colloquial_comcom_are_bodies(actors):
    found = actors("Les réponses citent le référendum, la Cour des Comptes et internet. C'est le lien avec la ComCom qui "
                   "doit nous porter. La chambre régionale des comptes a rendu son rapport.")
    assert found["Cour des Comptes"] == ("organisation", "etat")
    assert found["chambre régionale des comptes"] == ("organisation", "etat")
    assert found["ComCom"][0] == "organisation"


def test_a_name_in_capitals_inside_ordinary_text_is_a_body(actors):
    assert kinds(actors("Le verre est transporté à la verrerie VERALLIA où il sera recyclé.")) >= {("VERALLIA", "organisation")}
    assert kinds(actors("Le centre de tri est exploité par PAPREC TRIVALO par délégation de service public.")) == {
        ("PAPREC TRIVALO", "organisation")}
    assert ("SOUDACHAN HOME-MADE", "organisation") in kinds(actors(
        "Pierrefonds\n- SOUDACHAN HOME-MADE (CUISINE THAÏ) : le vendredi midi à partir de 11 h, parking du stade"))


def test_capitals_that_are_people_acronyms_words_or_communes_are_no_body(actors):
    assert "LES VERRERIES ARDENNAISES" not in actors("Le service est assuré par LES VERRERIES ARDENNAISES depuis mai.")
    found = actors("Étaient présents Daniel TRENTE (sic) / TRENTI et JÉRÉMY GUILLAUME, DÉLÉGUÉ du maire, pour le projet IRVE.")
    assert not {"TRENTI", "JÉRÉMY GUILLAUME", "DÉLÉGUÉ", "IRVE"} & {n for n, (k, _) in found.items() if k == "organisation"}
    assert ("PÊCHE TROSLY-BREUIL", "organisation") not in kinds(actors("La PÊCHE TROSLY-BREUIL organise un concours."))


def test_an_acronym_defined_as_a_plan_or_a_system_is_no_actor(actors):
    assert actors("Approuvé le Plan d’Action commun en matière de Mobilité Solidaire (PAMS) du Bassin de mobilité. "
                  "Le PAMS est signé.") == {}
    assert "SISMO" not in actors("Utilisation du Système Intégré des Services de Mobilité dans l’Oise (SISMO). Le SISMO "
                                 "offre à la CCLO un service.")
    found = actors("Le Syndicat Mixte du Département de l’Oise (SMDO) collecte les déchets.")
    assert ("SMDO", "organisation") in kinds(found)
    found = actors("Le Contrat signé avec la Communauté de Communes du Pays Noyonnais (CCPN) est prolongé.")
    assert ("CCPN", "organisation") in kinds(found)  # a plan's word before a body's long form does not make it one
    assert set(actors("Le Plan de mobilité (PAMS")) == {"PAMS"}  # a bracket at the passage's end: read, nothing defined


def test_words_that_only_start_like_a_locality_class_are_not_one(actors):
    found = actors("La réunion avec M. Zimmermann et Zakaria Benali. Les Hameaux Fleuris. La ZAC des Hauts Prés s'étend.")
    assert {("Zimmermann", "person"), ("Zakaria Benali", "person"), ("Hauts Prés", "place")} <= kinds(found)


# --- places ------------------------------------------------------------------------------------------


def test_regions_departments_and_basins_are_found_whole(actors):
    found = actors(
        "le directeur régional de l'environnement d'Auvergne Rhône-Alpes et celui de Bourgogne\nFranche-Comté, "
        "au vu du schéma du bassin Rhône-Méditerranée et de l'avis du préfet coordonnateur de bassin Loire-Bretagne."
    )
    assert {("Auvergne Rhône-Alpes", "place"), ("Bourgogne Franche-Comté", "place"), ("bassin Rhône-Méditerranée", "place"),
            ("Loire-Bretagne", "place")} <= kinds(found)
    assert not {"Auvergne", "Rhône-Alpes", "Bourgogne", "bassin Loire-Bretagne"} & set(found)


def test_a_region_name_inside_a_longer_name_is_not_a_place(actors):
    assert {("Côte-d'Or", "place"), ("Côtes-d'Armor", "place")} <= kinds(actors("La Côte-d'Or et les Côtes-d'Armor."))
    found = actors("Le pôle France Services des Lisières de l’Oise a ouvert.")
    assert not {("France", "place"), ("Oise", "place")} & kinds(found)
    found = actors("Objet : Adhésion au Conseil d’Architecture d’Urbanisme et de l’Environnement (CAUE) de l’Oise.")
    assert ("Oise", "place") not in kinds(found)  # also when spaCy's NER took it for a place


def test_communes_of_the_national_list_are_places_wherever_they_are_named(actors):
    found = actors("La balade passe par Croutoy puis rejoint Hautefontaine. Les élus de Bitry et de ST CREPIN AUX BOIS ont voté.")
    assert {("Croutoy", "place"), ("Hautefontaine", "place"), ("Bitry", "place"), ("ST CREPIN AUX BOIS", "place")} <= kinds(found)
    assert "BOIS" not in found


def test_a_locality_is_named_without_the_word_that_classifies_it(actors):
    found = actors("Ajout d’un bâtiment au lieu-dit Le Poulley et au hameau des Vaudrilles. Le marché se tient Z.I Les "
                   "Surcens – 07 77. Les employeurs de la zone d’activités des Grands Prés.")
    assert {("Le Poulley", "place"), ("Vaudrilles", "place"), ("Les Surcens", "place"), ("Grands Prés", "place")} <= kinds(found)
    assert not {"Z.I Les Surcens", "hameau des Vaudrilles"} & set(found)
    assert ("rue Saint Martin", "place") in kinds(actors("Le président habite 50, rue Saint Martin à Roye."))


def test_a_building_named_after_its_head_is_a_place(actors):
    found = actors("La réunion se tient salle Simone Veil. Ajout de l’église Saint-Joseph classée. Subvention Parking "
                   "Sabatier II Approuvée. Dans la salle du conseil, près du stade municipal.")
    assert kinds(found) == {("salle Simone Veil", "place"), ("église Saint-Joseph", "place"), ("Parking Sabatier II", "place")}


def test_communes_in_a_row_of_capitals_are_places(actors):
    found = actors("Répartition du nombre de contrôles par communes TROSLY 1 AUTRECHES SAINT ETIENNE ROILAYE 4 BITRY 4 CHELLES 7")
    assert {("AUTRECHES", "place"), ("SAINT ETIENNE ROILAYE", "place"), ("BITRY", "place"), ("CHELLES", "place")} <= kinds(found)
    found = actors("VOS ÉLUS\nAUTRÊCHES BERNEUIL-SUR-AISNE BITRY Michel POTIER Etienne FRERE")  # communes, then councillors
    assert ("BITRY", "place") in kinds(found)


def test_communes_named_like_a_common_word_or_a_first_name_are_not_taken_alone(actors):
    found = actors("Nicole a présenté le Plan. Parce que le Puits est fermé, Marie ira à l'École. Le bois est livré.")
    assert not {"Plan", "Parce", "Puits", "École", "Le bois"} & set(found)
    assert not {("Nicole", "place"), ("Marie", "place")} & kinds(found)


def test_a_mayors_commune_and_a_commune_one_is_on_are_places(actors):
    assert ("commune de Bitry", "place") in kinds(actors("Franck Superbi, Président de la CCLO, Maire de la commune de Bitry."))
    assert kinds(actors("Sur commune d’Héricourt, les travaux avancent.")) == {("commune d’Héricourt", "place")}
    assert ("commune de Pierrefonds", "organisation") in kinds(actors("La commune de Pierrefonds adhère au SIVOC."))


def test_a_commune_that_acts_is_the_local_authority(actors):
    assert kinds(actors("Pierrefonds a été sélectionné par le SE60 pour être une des communes lauréates.")) >= {
        ("Pierrefonds", "organisation")}
    assert kinds(actors("Pierrefonds compte 1 888 habitants.")) == {("Pierrefonds", "place")}


def test_a_capitalised_department_inside_a_sentence_is_the_institution(actors):
    assert kinds(actors("Les travaux sont réalisés après concertation avec le Département.")) == {("Département", "organisation")}
    assert actors("Les travaux sont réalisés après concertation avec la commune.") == {}
    assert actors("Cet attachement très fort que je nourris à la Commune.") == {}  # the document's own authority


def test_commune_keys_ignore_case_accents_hyphens_and_saint():
    assert commune_key("ST CREPIN AUX BOIS") == commune_key("Saint-Crépin-aux-Bois") == commune_key("St-Crépin-aux-Bois")
    assert commune_key("L’Abergement-Clémenciat") == commune_key("L'Abergement Clemenciat")
    communes = Communes(["Bitry", "Y", "Eu"])
    assert len(communes) == 1  # names under three letters are never looked for


def test_the_shipped_lists_of_communes_and_first_names_are_loaded():
    lexicon = PlaceLexicon.from_file(Settings().models_dir / "places.yaml")
    assert len(lexicon.communes) > 30_000 and "Roche-sur-Linotte-et-Sorans-les-Cordiers" in lexicon.communes
    assert len(lexicon.communes.first_names) > 1_000 and "marielle" in lexicon.communes.first_names


def test_a_place_guess_that_is_a_first_name_alone_is_a_person():
    doc = load_nlp(Settings().spacy_model).make_doc("Hélène a vu Cédric et Couloisy.")
    doc.ents = [doc.char_span(start, end, label="LOC") for start, end in ((0, 6), (12, 18), (22, 30))]
    communes = PlaceLexicon.from_file(Settings().models_dir / "places.yaml").communes
    assert [(f.start, f.label) for f in first_names_taken_for_places(doc.ents, communes=communes)] == [(0, "PER"), (3, "PER")]


def test_alert_zone_rows_give_the_zone_not_the_code(actors):
    found = actors("Carte des zones\nRM21 - Vosges haute-saonaises 10\nRM19 - vallées Doubs Ognon Loue 70")
    assert kinds(found) == {("Vosges haute-saonaises", "place"), ("vallées Doubs Ognon Loue", "place")}


def test_the_commune_after_a_postal_code_and_on_a_date_line(actors):
    found = actors("Vesoul, le 3 mars 2023\nPiles usagées CHIMIREC (60130 Saint Just en Chaussée)\n60350 Attichy")
    assert {("Vesoul", "place"), ("Saint Just en Chaussée", "place"), ("Attichy", "place")} <= kinds(found)
    assert "Saint Just" not in found


def test_a_date_line_starts_with_a_place_not_a_civility(actors):
    assert actors("Monsieur le Maire, le 3 mars 2023, a ouvert la séance.") == {}


def test_enumerations_of_communes_are_split_into_places(actors):
    found = actors(
        "Site internet : gouv.fr\nAïllevans Athesans-Étroitefontaine Aulx-lès-Cromary Autrey-le-Vay Bard-lès-Pesmes\n"
        "Bay Beaumotte-Aubertans Beaumotte-lès-Pin Besnans\n"
        "Territoire desservi : Autrêches, Berneuil-sur-Aisne, Bitry, Chelles, Saint-Étienne-Roilaye, Trosly-Breuil."
    )
    places = {name for name, (kind, _) in found.items() if kind == "place"}
    assert places == {
        "Aïllevans", "Athesans-Étroitefontaine", "Aulx-lès-Cromary", "Autrey-le-Vay", "Bard-lès-Pesmes", "Bay",
        "Beaumotte-Aubertans", "Beaumotte-lès-Pin", "Besnans", "Autrêches", "Berneuil-sur-Aisne", "Bitry", "Chelles",
        "Saint-Étienne-Roilaye", "Trosly-Breuil",
    }


def test_a_column_of_communes_without_compound_names_is_places_articles_included(actors):
    found = actors(
        "Communes concernées :\nLa Vergenne\nLes Aynans\nMalans\nMarast\nMarnay\nMaussans\nMélecey\nMignavillers\n"
        "Vesoul\nGray"
    )
    # (spaCy's own NER takes "Mélecey" for an organisation, which the rule leaves as it is)
    assert kinds(found) >= {(name, "place") for name in (
        "La Vergenne", "Les Aynans", "Malans", "Marast", "Marnay", "Maussans", "Mignavillers", "Vesoul", "Gray"
    )}
    assert not any(kind == "person" for kind, _ in found.values())
    assert {("La Poste", "organisation"), ("Enedis", "organisation")} <= kinds(
        actors("Partenaires :\nLa Poste\nEnedis\nVesoul\nGray\nLure"))
    after_a_list = actors("Communes adhérentes :\nCuise-la-Motte\nTrosly-Breuil\nAttichy\nLa Commission propose le budget.")
    assert not {name for name in after_a_list if "Commission" in name}
    assert not {name for name in actors("Étaient présents : MM. Laval, Vienne, Rivière, Chevalier, Mercier.")
                if name in ("Rivière", "Chevalier")}


def test_a_body_written_in_lower_case_with_its_complements_is_an_organisation(actors):
    found = actors(
        "Le maire remercie l'association des amis du jumelage et la fédération de pêche de l'Oise. Autour de la "
        "table, les exploitants, le syndicat des eaux et la DDT. Une association de parents s'est créée. "
        "Le syndicat mixte gère l'eau. L'association est partenaire."
    )
    assert {("association des amis du jumelage", "organisation"), ("fédération de pêche de l'Oise", "organisation"),
            ("syndicat des eaux", "organisation")} <= kinds(found)
    assert not {name for name in found if name.startswith(("association de parents", "syndicat mixte", "Oise"))}
    assert "association" not in found
    found = actors("Merci à l'amicale des sapeurs-pompiers de Cuise-la-Motte et à l'association des anciens combattants.")
    assert {("amicale des sapeurs-pompiers de Cuise-la-Motte", "organisation"),
            ("association des anciens combattants", "organisation")} <= kinds(found)
    assert not actors("La fondation de l'église remonte au XIIe siècle. Le maire souhaite l'association des habitants à "
                      "la concertation.")
    found = actors("La rivière Aisne en aval de Cuise-la-Motte. Fédération de pêche de l’Oise, qui lui avait consenti un "
                   "prêt. Le versement est réalisé au profit de la coopérative scolaire. Une association locale s'est créée.")
    assert {("Fédération de pêche de l’Oise", "organisation"), ("coopérative scolaire", "organisation")} <= kinds(found)
    assert not {name for name in found if name.startswith("association")}


def test_a_list_of_people_beside_a_commune_stays_people(actors):
    found = actors("Inauguration en présence de la Sous-préfète de Cuise-la-Motte, Pierre Vatin, Député, et Danielle Carlier.")
    assert {("Pierre Vatin", "person"), ("Danielle Carlier", "person")} <= kinds(found)


def test_compound_commune_names_with_spaces_and_places_spacy_missed(actors):
    found = actors(
        "Nous dépendrons de Dampvalley les Colombe pendant 4 ans. Suppression de l’EBC à Custrein. "
        "Travaux de l’église de Pierrefonds. Redélimitation au Manoir de Ménez-Bras et à l’est de Tromao."
    )
    assert {("Dampvalley les Colombe", "place"), ("Custrein", "place"), ("Pierrefonds", "place"),
            ("Manoir de Ménez-Bras", "place"), ("Tromao", "place")} <= kinds(found)
    assert not any(kind == "person" for kind, _ in found.values())


def test_a_compound_name_ending_with_a_department_is_one_place(actors):
    found = actors("Communes : - Attichy - Berneuil sur Aisne - Couloisy\nLes travaux sur Aisne sont finis.")
    assert ("Berneuil sur Aisne", "place") in kinds(found)
    assert "travaux sur Aisne" not in found


def test_the_place_of_an_assembly_is_a_place_and_a_commune_where_something_is_too(actors):
    found = actors(
        "Le 3 octobre, le Conseil Municipal de PIERREFONDS, dûment convoqué, s’est réuni. "
        "Cet étang est situé sur la commune de Saint-Étienne-Roilaye. La commune de Pierrefonds adhère au SIVOC."
    )
    assert ("PIERREFONDS", "place") in kinds(found)
    assert ("commune de Saint-Étienne-Roilaye", "place") in kinds(found)
    assert ("commune de Pierrefonds", "organisation") in kinds(found)
    assert not any("Conseil" in name for name in found)


def test_natural_sites_named_with_a_lower_case_head_are_places(actors):
    found = actors("Une balade en forêt de Compiègne, sur le mont Saint-Mard et le long du ru de Vandy.")
    assert kinds(found) == {("forêt de Compiègne", "place"), ("mont Saint-Mard", "place"), ("ru de Vandy", "place")}
    assert not actors("Le bois de chauffage est livré. Le dossier est clos et diffusé sur le canal Facebook.")
    assert kinds(actors("Une coupe dans le bois de Compiègne.")) == {("bois de Compiègne", "place")}


def test_streets_and_squares_are_places_named_after_their_head(actors):
    found = actors(
        "1. Réserve d’eau incendie rue Joseph Adolphe Chauret : subvention. Remise en état ligne BT rue Viollet le Duc ; "
        "reprise de la route de la Combe-aux-Loups et du pont de la Guillotière, 12 place des Tilleuls à Vérlane. "
        "Cession sente Rue du Bois d’Haucourt. Mise en place du Régime Indemnitaire."
    )
    assert {("rue Joseph Adolphe Chauret", "place"), ("rue Viollet le Duc", "place"),
            ("route de la Combe-aux-Loups", "place"), ("pont de la Guillotière", "place"),
            ("place des Tilleuls", "place"), ("Rue du Bois d’Haucourt", "place")} <= kinds(found)
    assert not {"Joseph Adolphe Chauret", "Viollet le Duc", "Combe-aux-Loups", "Bois d’Haucourt"} & set(found)
    assert "place du Régime Indemnitaire" not in found


def test_a_body_word_in_a_street_name_is_the_street_and_a_square_named_after_the_town_hall_is_nothing(actors):
    found = actors("Le dossier est déposé au 3 rue de la Préfecture à Beauvais. Le marché se tient sur la Place de la "
                   "Mairie le vendredi, puis place de l'Hôtel de Ville. La Préfecture a signé.")
    assert ("rue de la Préfecture", "place") in kinds(found)
    assert not {"Place de la Mairie", "Mairie", "place de l'Hôtel de Ville", "Hôtel de Ville"} & set(found)
    assert ("Préfecture", "organisation") in kinds(found)  # the body itself, named alone


def test_no_actor_starts_with_a_symbol_nor_is_an_article_of_a_code(actors):
    found = actors("Montant prévisionnel des travaux = 10 000 €HT\nEtudes = 9 000 €HT\n"
                   "Vu le Code de la Commande Publique et notamment les articles L.2422-5 à L.2422-11,")
    assert not {"€HT", "L.2422-11"} & set(found)


def test_a_commune_s_name_cut_before_a_lower_case_word_runs_to_its_end_and_a_number_is_no_place(actors):
    found = actors("Hausse liée à l’intégration de la commune de St Crépin aux Bois au sein du contrat de DSP.")
    assert "commune de St Crépin aux Bois" in found and "commune de St Crépin" not in found
    found = actors("Les marchés de Tracy-le-Mont\nDeux marchés hebdomadaires ont lieu à Tracy-le-Mont.")
    assert set(found) == {"Tracy-le-Mont"}


def test_job_titles_written_as_acronyms_are_no_bodies(actors):
    assert not actors("L’ATSEM ne pourra pas continuer l’accueil du périscolaire. Le DGS présente le budget.")


def test_a_heading_that_is_a_common_word_without_its_accent_is_no_commune(product):
    found = product("6 Questions diverses\n6.1 Ecole\nPour l’école, les élèves quittant l’école auront un livre.")
    assert "Ecole" not in found


def test_a_numbered_budget_is_no_postal_code(actors):
    found = actors("Vote du budget primitif 2025 – Budget n°40015 SPANC-CCLO Rapporteur : Sylvain GOUPIL. "
                   "Siège : 12 rue Nationale, 60350 Attichy.")
    assert ("Attichy", "place") in kinds(found)
    assert not any(kind == "place" and "SPANC" in name for name, kind in kinds(found))


def test_a_commune_s_name_ends_its_line(actors):
    found = actors("Franck Superbi Président de la CCLO Maire de la commune de Bitry\nSommaire\n01 02 Présentation")
    assert ("commune de Bitry", "place") in kinds(found)
    assert not any("Sommaire" in name for name in found)


def test_communes_listed_between_spaced_dashes_are_places(actors):
    found = actors(
        "Le service couvre les communes suivantes :\n- Attichy - Croutoy - Rethondes - Cuise la Motte - "
        "St Crépin aux Bois - Moulin sous Touvent - Tracy le Mont - Pierrefonds\n"
        "Ordre du jour - Approbation du procès-verbal - Questions diverses"
    )
    assert {("Cuise la Motte", "place"), ("St Crépin aux Bois", "place"), ("Moulin sous Touvent", "place"),
            ("Tracy le Mont", "place"), ("Croutoy", "place"), ("Pierrefonds", "place")} <= kinds(found)
    assert not any("Approbation" in name or "Questions" in name for name in found)


def test_guessed_organisations_stop_before_a_table_cell_or_a_number(actors):
    found = actors(
        "Révision de la convention d’objectifs entre la CCLO et l’Office de Tourisme 2025-2027\nRapporteur : M. Dupont\n"
        "Le projet est situé sur le territoire du Syndicat d’Energie de l’Oise 6. Evolution des statuts.\n"
        "Fonctionnement | 87 200,00 € | Vote"
    )
    names = set(found)
    assert "Office de Tourisme" in names and "Syndicat d’Energie de l’Oise" in names
    assert not any(any(c.isdigit() for c in name) or "|" in name for name in names)

# --- what is not an actor ----------------------------------------------------------------------------


def test_codes_plans_venues_headings_and_quoted_titles_are_not_actors(actors):
    found = actors(
        "Le contrat Rance-Frémur intègre plusieurs volets.\nLes élus se sont réunis salle Simone Veil.\n"
        "6.4 Temple\nDevis pour le toit.\nLe festival « Les Petites Bouilles » aura lieu.\nLa Chose est l’agent"
    )
    assert found == {"salle Simone Veil": ("place", None)}  # a named hall is a place (gold guide), never a person
    roads = actors("La route est classée RGC du PR54 au PR75. Mission de coordination (CSPS). Publié le ID : 029-2000")
    assert not roads.keys() & {"RGC", "PR54", "PR75", "CSPS", "ID"}


def test_inhabitants_and_verbs_heading_a_bullet_are_not_places(actors):
    found = actors("Les Pétrifontains sont invités.\n• Sensibiliser les habitants au tri\n• Accueillir et respecter le vécu")
    assert found == {}


def test_a_body_word_after_an_indefinite_article_is_no_body(actors):
    found = actors("Dinan est une ville de Bretagne, la ville de Dinan a voté.")
    assert ("ville de Dinan", "organisation") in kinds(found)
    assert "ville de Bretagne" not in found


def test_a_plan_name_gives_its_body(actors):
    found = actors("La MRAe a émis un avis sur le PCAET de Dinan Agglomération.")
    assert ("Dinan Agglomération", "organisation") in kinds(found)


def test_a_name_with_a_person_title_after_it_is_a_person(actors):
    found = actors("en présence de Madame Noura Kihal-Flégeau, Sous-préfète de Clermont, et du maire.")
    assert ("Kihal-Flégeau", "person") in kinds(found) or ("Noura Kihal-Flégeau", "person") in kinds(found)
    assert found.get("Kihal-Flégeau", ("person",))[0] == "person"


def test_surnames_in_capitals_after_a_civility_are_people(actors):
    found = actors("Elle indique que M. THUILLIER a transmis des observations. L'eau s'écoule chez Mr Reby.")
    assert {("THUILLIER", "person"), ("Reby", "person")} <= kinds(found)


def test_a_name_cut_by_a_column_is_read_where_whole(actors):
    found = actors("présidée par Madame Sylvie Valente Le- le renouveau des services. Sylvie Valente Le-Hir déclarait :")
    assert {name for name, (kind, _) in found.items() if kind == "person"} == {"Sylvie Valente Le-Hir"}


# --- roles -------------------------------------------------------------------------------------------


def test_organisation_roles_from_the_words_around_them(actors):
    found = actors(
        "Prestataire de service public en 2023 : SAUR\nDinan Agglomération adhère à RESECO depuis 2020.\n"
        "La formation est voulue par des industriels locaux (Poclain Hydraulics à Verberie, Safran Aérosystems à Compiègne)."
    )
    assert found["SAUR"][1] == found["RESECO"][1] == found["Safran Aérosystems"][1] == "socio_economique"
    assert found["Dinan Agglomération"][1] is None



def test_a_cue_before_a_list_of_people_is_everyones_a_title_after_is_the_last_ones(actors):
    found = actors(
        "Le mandat de gérance est exercé à titre bénévole et les rémunérations de Monsieur LAURENT Vincent, "
        "Monsieur PETIT Mathurin et Monsieur LE METAYER Jean-Baptiste correspondent à leur travail.\n"
        "Monsieur GOUPIL et Monsieur GUILLAUME, Directeur Général des Services présentent les budgets."
    )
    assert {found[n][1] for n in ("LAURENT Vincent", "PETIT Mathurin", "LE METAYER Jean-Baptiste")} == {"socio_economique"}
    assert found["GUILLAUME"][1] == "agent"
    assert found["GOUPIL"][1] != "agent"


def test_people_who_speak_in_council_minutes_are_elected(actors):
    found = actors(
        "Vote : Pour à l’unanimité\nM.TANGUY et M.ROBERT précisent qu’ils sont favorables.\n"
        "Délibération modification d’heures hebdomadaires contrat Mme Chamberlain 2H supp. 12 votes pour"
    )
    assert found["TANGUY"][1] == found["ROBERT"][1] == "elu"
    assert found["Chamberlain"][1] == "agent"


def test_a_civility_glued_to_the_surname_names_a_councillor_who_speaks(actors):
    found = actors("Le conseil a voté à l’unanimité.\nM.GOSSOT demande ce qui existait comme protection.")
    assert found == {"GOSSOT": ("person", "elu")}


def test_a_first_name_alone_is_a_person(actors):
    found = actors("Réception du chantier à programmer par Marielle. Action : David et Mario. Le lycée Jean Moulin "
                   "ouvre. Marie-Galante est une île.")
    assert {("Marielle", "person"), ("David", "person"), ("Mario", "person")} <= kinds(found)
    assert not {"Jean", "Moulin", "Marie"} & set(found)
    assert ("Cédric", "place") not in kinds(actors("G/ Réfection des bancs du village Cédric finit la rénovation du logement."))


def test_what_a_councillor_speaks_of_is_not_their_role(actors):
    found = actors("Monsieur Papin s’interroge sur le déménagement de l’agent, qui relève d’une journée de congé. "
                   "Madame le Maire lui indique qu’il s’agit d’une autorisation d’absence.")
    assert found["Papin"] == ("person", "elu")
    found = actors("Séance du conseil municipal.\nM.GOSSOT demande si l'agent technique sera remplacé. M. Durand, "
                   "informaticien, a installé le réseau.")
    assert found["GOSSOT"] == ("person", "elu") and found["Durand"][1] != "elu"


def test_people_who_speak_outside_minutes_get_no_role(actors):
    assert actors("Dans son livre, M. THUILLIER indique que la ville a changé.")["THUILLIER"][1] is None


# --- the product's pipeline (fine-tuned NER) -------------------------------------------------------------


@pytest.fixture(scope="module")
def product():
    return _runner(load_extractors(Settings())[0])


def test_the_fine_tuned_pipeline_keeps_what_the_rules_are_for(product):
    found = product(
        "Vote : Pour à l’unanimité\nM.TANGUY et M.ROBERT précisent qu’ils sont favorables.\n"
        "Contrat d’assurance des risques statutaires du CDG 60\nLes Pétrifontains sont invités.\n"
        "L’ensemble est subventionné par la région à hauteur de 80%. La SAS JVS MAIRISTEM fournit les logiciels."
    )
    assert found["TANGUY"][1] == found["ROBERT"][1] == "elu"
    assert {("CDG 60", "organisation"), ("région", "organisation"), ("JVS MAIRISTEM", "organisation")} <= kinds(found)
    assert not {name for name in found if "Pétrifontains" in name or name.startswith("SAS")}


def test_people_listed_first_name_then_surname_in_capitals_are_one_each(product):
    found = product("Chef d’équipe Préventeur collecte\nVincent LAUNAY Benjamin TASSIN\nChauffeurs Ripeurs")
    assert kinds(found) == {("Vincent LAUNAY", "person"), ("Benjamin TASSIN", "person")}
    assert ("Guillain DE FRANCE", "person") in kinds(product("Les élus : Nathalie CHEVOT, Guillain DE FRANCE."))
    # written "SURNAME First name", the pairs cannot be told: no made-up "Jean MARTIN"
    assert not {name for name in product("Présents : DUPONT Jean MARTIN Pierre DURAND Paul") if name == "Jean MARTIN"}


def test_courts_state_establishments_and_clubs_have_the_role_their_name_says(product):
    found = product(
        "Le recours est porté devant le Tribunal de Grande Instance. La Cour des Comptes publie son rapport. "
        "Le BRGM suit les forages. Le Cercle des Nageurs de l'Attichois organise une fête."
    )
    assert found["Tribunal de Grande Instance"][1] == found["Cour des Comptes"][1] == found["BRGM"][1] == "etat"
    assert found["Cercle des Nageurs de l'Attichois"][1] == "socio_economique"


def test_a_body_in_capitals_keeps_the_department_that_ends_its_name(product):
    found = product("Le centre de tri est exploité par PAPREC TRIVALO OISE par délégation de service public.")
    assert kinds(found) == {("PAPREC TRIVALO OISE", "organisation")}


def test_a_commune_written_in_capitals_after_commune_de_is_the_commune(product):
    """Minutes write "la commune de PIERREFONDS": the span is `commune de X` (gold guide), an organisation when it
    acts or receives; a heading all in capitals stays a place ("COMMUNE DE PIERREFONDS CONSEIL MUNICIPAL")."""
    found = kinds(product("Par courrier du 24 mai 2017, l’Etat a transmis pour avis à la commune de PIERREFONDS le "
                          "projet de périmètre. La commune de CUISE-LA-MOTTE a signé la convention."))
    assert {("commune de PIERREFONDS", "organisation"), ("commune de CUISE-LA-MOTTE", "organisation")} <= found
    assert kinds(product("COMMUNE DE PIERREFONDS CONSEIL MUNICIPAL")) == {("PIERREFONDS", "place")}


def test_a_first_name_before_a_surname_in_capitals_is_a_person(product):
    """A table row's last word in capitals is taken for a company, a name all in capitals for a body: after a
    frequent first name it is a person's surname, compound names included; a street's or school's name is not."""
    assert kinds(product("Affichage : 28/01/2026\nLe maire, Florence DEMOUY")) >= {("Florence DEMOUY", "person")}
    assert ("JÉRÉMY GUILLAUME", "person") in kinds(product("DIRECTEUR GÉNÉRAL DES SERVICES\nJÉRÉMY GUILLAUME 12 ETP"))
    assert ("Noura KIHAL-FLEGEAU", "person") in kinds(product("Pierre VATIN, Noura KIHAL-FLEGEAU, Sylvie Valente"))
    streets = kinds(product("Les travaux du collège Jean MOULIN et de la rue Victor HUGO commencent."))
    assert not {kind for _, kind in streets} & {"person"}, streets


def test_bodies_named_after_a_word_that_is_also_a_first_name_stay_bodies(product):
    found = kinds(product("Rendez-vous avec FRANCE TRAVAIL le 3 mars, puis avec FRANCE RENOV pour le dossier."))
    assert not {kind for _, kind in found} & {"person"}, found
    assert ("Madame Claire FONTAINE", "person") in kinds(product("Présents : Madame Claire FONTAINE, adjointe.")) or \
        ("Claire FONTAINE", "person") in kinds(product("Présents : Madame Claire FONTAINE, adjointe."))
