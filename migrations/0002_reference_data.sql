-- Reference tables. Must match `citygrid_api::CATEGORIES` and `SOURCES`
-- (checked by the backend test `reference_tables_match_the_api_catalogue`).

insert into incident_categories (code, kind, name_zh, name_en, duplicate_radius_m) values
    ('dispute.neighbor',       'dispute', '邻里纠纷',     'Neighbour dispute',           100),
    ('dispute.family',         'dispute', '婚姻家庭纠纷', 'Family dispute',              50),
    ('dispute.property',       'dispute', '物业纠纷',     'Property management dispute', 200),
    ('dispute.labor',          'dispute', '劳动争议',     'Labour dispute',              300),
    ('dispute.land',           'dispute', '土地纠纷',     'Land dispute',                500),
    ('dispute.medical',        'dispute', '医疗纠纷',     'Medical dispute',             200),
    ('alarm.intrusion',        'alarm',   '入侵报警',     'Intrusion alarm',             100),
    ('alarm.fire',             'alarm',   '火灾报警',     'Fire alarm',                  300),
    ('alarm.traffic',          'alarm',   '交通事故报警', 'Traffic alarm',               250),
    ('alarm.crowd',            'alarm',   '人员聚集报警', 'Crowd alarm',                 300),
    ('citizen.infrastructure', 'citizen', '市政设施',     'Infrastructure',              250),
    ('citizen.environment',    'citizen', '环境卫生',     'Environment',                 250),
    ('citizen.safety',         'citizen', '安全隐患',     'Public safety hazard',        250);

insert into incident_sources (code, name_zh, name_en) values
    ('hotline', '12345热线',  'Hotline'),
    ('patrol',  '网格员巡查', 'Grid patrol'),
    ('wechat',  '微信小程序', 'WeChat'),
    ('video',   '视频发现',   'Video'),
    ('walk_in', '群众来访',   'Walk-in');
