/*
 * explain.c: how each date was reached, in words a bureau clerk can check
 * by hand (ticctl plan --explain, and the feeds' descriptions).
 *
 * The working-day periods are walked again day by day, naming every
 * holiday (as the table names it) and make-up working day met on the way;
 * calendar periods say which Civil Code counting applies and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scheduler/scheduler.h"
#include "scheduler/sched-int.h"

static void
put_day(struct buf *b, int day)
{
	char	 d[SCHED_DATE_LEN];

	buf_printf(b, "%s（%s）", sched_date_format(day, d),
	    sched_weekday_cn(day));
}

/* Lists the days from "from" to the due day: each working day with its
 * ordinal, runs of days off collapsed with their name. */
static void
walk_days(struct buf *b, const struct sched_calendar *cal, int from, int due)
{
	struct sched_dayinfo	 info, next;
	char			 d[SCHED_DATE_LEN], e[SCHED_DATE_LEN];
	int			 day, run, n = 0;

	for (day = from; day <= due; day++) {
		sched_calendar_dayinfo(cal, day, &info);
		if (info.working) {
			sched_date_format(day, d);
			buf_printf(b, "%s %s", d + 5, sched_weekday_cn(day));
			if (info.kind == SCHED_DAY_MAKEUP)
				buf_printf(b, "（调休上班，%s）", info.name);
			buf_printf(b, " 第%d个工作日；", ++n);
			continue;
		}
		/* A run of days off of one kind and name. */
		for (run = day; run + 1 <= due; run++) {
			sched_calendar_dayinfo(cal, run + 1, &next);
			if (next.working || next.kind != info.kind ||
			    (next.name != info.name && (next.name == NULL ||
			    info.name == NULL || strcmp(next.name, info.name))))
				break;
		}
		sched_date_format(day, d);
		sched_date_format(run, e);
		if (run == day)
			buf_printf(b, "%s %s", d + 5, sched_weekday_cn(day));
		else
			buf_printf(b, "%s至%s", d + 5, e + 5);
		switch (info.kind) {
		case SCHED_DAY_HOLIDAY:
			buf_printf(b, " %s放假；", info.name);
			break;
		case SCHED_DAY_STATUTORY:
			buf_printf(b, " %s（法定节假日，按全国年节及纪念日放假办法"
			    "暂计）；", info.name);
			break;
		default:
			buf_adds(b, " 休息日；");
			break;
		}
		day = run;
	}
	if (b->len >= strlen("；") && strcmp(b->data + b->len - strlen("；"),
	    "；") == 0) {
		b->len -= strlen("；");
		b->data[b->len] = '\0';
	}
	buf_adds(b, "。");
}

static void
provisional_note(struct buf *b, const struct sched_calendar *cal, int from,
    int due)
{
	int	 day, y, inside, seen = 0, first, last;

	sched_calendar_span(cal, &first, &last);
	/* Two reasons, told apart: a year without its notice was counted
	 * with statutory days only; a December counted with its own year's
	 * notice may still be moved by the next year's (DOMAIN rule 5). */
	for (day = from; day <= due; day++) {
		y = sched_calendar_provisional_year(cal, day);
		inside = sched_year(day) == y;
		if (y == 0 || y * 2 + inside == seen)
			continue;
		seen = y * 2 + inside;
		/* A year before the loaded ones was published long ago:
		 * it is missing here, not yet to come (history entered from
		 * before ticd, a centre registered in 2023). */
		if (inside && first != 0 && y < first)
			buf_printf(b, "暂定：%d年的放假安排未加载（已加载%d年至"
			    "%d年），计数时只按法定节假日（元旦1月1日、劳动节5月1日"
			    "至2日、国庆节10月1日至3日）计算，未计农历节日与调休；"
			    "加载该年的安排（ticd.conf 的 holidays，或 ticctl 的 "
			    "--holidays）后将重新计算。", y, first, last);
		else if (inside)
			buf_printf(b, "暂定：%d年的放假安排尚未发布，计数时只按"
			    "法定节假日（元旦1月1日、劳动节5月1日至2日、国庆节10月"
			    "1日至3日）计算，未计农历节日与调休；国务院公布后将重新"
			    "计算并通知。", y);
		else
			buf_printf(b, "暂定：%d年12月已按当年公布的放假安排计算，"
			    "但%d年的放假安排尚未发布，可能调整12月底的日子（如"
			    "元旦前的调休）；国务院公布后将重新计算并通知。", y - 1,
			    y);
	}
}

static void
explain_workdays(struct buf *b, const struct sched_calendar *cal,
    const struct pob *ob)
{
	bool	 incl = ob->o.rule == SCHED_R_PUBLICITY;
	int	 n = incl ? 5 : 15, from = incl ? ob->o.start : ob->o.start + 1;

	if (incl) {
		buf_adds(b, "公示开始于");
		put_day(b, ob->o.start);
		buf_printf(b, "。第七条第（五）项：公示期%d个工作日。期间自公示之日起"
		    "计算，当日计入（规则1：“自…起”的期间含起算日，与公告“公示时间"
		    "5个工作日（自…至…）”的计法一致）；起算日不是工作日的，自下一个"
		    "工作日起数。逐日：", n);
	} else {
		buf_adds(b, "市科技局收到异议于");
		put_day(b, ob->o.start);
		buf_printf(b, "。第七条第（六）项：在%d个工作日内重新调查核实并提出"
		    "意见。收到之日不计入（规则2，《民法典》第二百零一条：开始的当日"
		    "不计入），自次日起数。逐日：", n);
	}
	walk_days(b, cal, from, ob->o.due);
	buf_adds(b, "期限为");
	put_day(b, ob->o.due);
	buf_adds(b, "24时。");
	provisional_note(b, cal, from, ob->o.due);
}

static void
leap_note(struct buf *b, int start, bool after)
{
	int	 y, m, d;

	sched_ymd(start, &y, &m, &d);
	if (m == 2 && d == 29)
		buf_adds(b, after ? "起算日为2月29日，到期之年没有对应日的，以该月"
		    "最后一日（2月28日）为期间最后一日（规则3，《民法典》第二百零"
		    "二条）。" : "起算日为2月29日，平年的对应日为3月1日，期间至其前"
		    "一日（2月28日）止（规则1）。");
}

static void
explain_calendar(struct buf *b, const struct pob *ob,
    const struct sched_event *reg)
{
	char	 s[SCHED_DATE_LEN], d[SCHED_DATE_LEN], x[SCHED_DATE_LEN];

	sched_date_format(ob->o.start, s);
	sched_date_format(ob->o.due, d);
	switch (ob->o.rule) {
	case SCHED_R_APPLICATION:
	case SCHED_R_RECOMMENDATION:
		buf_printf(b, "市科技局于%s发布申报通知（第七条第（一）项），规定%s"
		    "截止日为%s。", s, ob->o.rule == SCHED_R_APPLICATION ?
		    "申报" : "组织管理单位推荐", d);
		break;
	case SCHED_R_EXPERT_MEETING:
		/* A legacy centre was recognized before ticd knew it: its
		 * registration is not its recognition, only counts as it. */
		if (reg != NULL && reg->legacy && reg->date == ob->o.start)
			buf_printf(b, "中心按旧办法认定，自登记日%s起按已认定计。",
			    s);
		else
			buf_printf(b, "中心于%s起认定。", s);
		buf_printf(b, "第十条：专家委员会每年至少召开一次"
		    "会议。自认定的次年起（且不早于2026年，本办法施行后的第一个完整"
		    "年度），每年12月31日为当年的期限：%d年的期限为%s。", ob->year,
		    d);
		break;
	case SCHED_R_EXPERT_TERM:
		buf_printf(b, "专家委员会组建于%s。第十条：每届任期不超过5年。"
		    "期间自组建之日起算，当日计入（规则1），至5年后对应日的前一日"
		    "%s止。", s, d);
		leap_note(b, ob->o.start, false);
		break;
	case SCHED_R_EXPERT_COMPOSITION:
		buf_printf(b, "%s组建的专家委员会人数少于5人或依托单位人员超过二分"
		    "之一（第十条），应即改组：期限为组建当日%s。", s, d);
		break;
	case SCHED_R_EVALUATION:
		buf_printf(b, "市科技局于%s部署%d年度绩效评价（第十四条），当日"
		    "终了时已认定的中心均须参加，资料提交截止日%s由市科技局确定。",
		    s, ob->year, d);
		break;
	case SCHED_R_RECTIFICATION:
		buf_printf(b, "%d年度绩效评价结果不合格（记录于%s），第十四条：责令"
		    "限期整改，市科技局确定的整改期限为%s。", ob->year, s, d);
		break;
	case SCHED_R_REVOCATION:
		buf_printf(b, "%d年度与%d年度绩效评价连续2次不合格（第二次结果记录"
		    "于%s），第十四条：取消其市技术创新中心资格。", ob->year - 1,
		    ob->year, s);
		break;
	case SCHED_R_ABANDONMENT:
		buf_printf(b, "%d年度绩效评价资料提交截止日%s已过而未提交，第十四"
		    "条：无正当理由不参加评价的，视为放弃资格；自次日%s起由市科技局"
		    "处理。", ob->year, sched_date_format(ob->o.due - 1, x), d);
		break;
	case SCHED_R_REAPPLY_BAN:
		if (ob->o.cause == SCHED_EV_REVOKED)
			buf_printf(b, "%s被取消资格。第十六条：3年内不得再次申报。",
			    s);
		else
			buf_printf(b, "%s%s。第十六条的3年禁止期本只针对被取消资格"
			    "的，规则包设置 %s = yes 将其同样适用于此。", s,
			    ob->o.cause == SCHED_EV_ABANDONED ? "视为放弃资格" :
			    "过渡期满未达要求、不再保留资格",
			    ob->o.cause == SCHED_EV_ABANDONED ?
			    "abandonment_bars_reapply" : "lapse_bars_reapply");
		buf_printf(b, "期间自次日起算（规则2，《民法典》第二百零一条），"
		    "至3年后的对应日%s止（规则3，第二百零二条）；截至该日（含当日）"
		    "的申报不予受理，%s起可以再次申报。", d,
		    sched_date_format(ob->o.due + 1, x));
		leap_note(b, ob->o.start, true);
		break;
	case SCHED_R_TRANSITION:
		buf_printf(b, "按旧办法（阳科发〔2022〕21号）认定的中心，第十七条："
		    "自本办法印发之日起至2027年12月31日为过渡期，须在%s（含当日）"
		    "之前达到本办法的认定条件。", d);
		break;
	case SCHED_R_TRANSITION_LAPSE:
		buf_printf(b, "第十七条：过渡期结束后仍未达到本办法要求的，不再保留"
		    "市技术创新中心资格；过渡期于2027-12-31结束，自%s起处理。", d);
		break;
	case SCHED_R_DIRECTOR_AGE:
		buf_printf(b, "中心主任出生于%s。第九条第（三）项：主任年龄不超过60"
		    "周岁。自出生之日起61年的期间（规则1）至61周岁生日的前一日%s止，"
		    "这是年满60周岁的最后一天。", s, d);
		leap_note(b, ob->o.start, false);
		break;
	case SCHED_R_MEASURES_EXPIRY:
		buf_printf(b, "第十八条：本办法自%s起施行，有效期5年。期间自施行"
		    "之日起算，当日计入（规则1），至%s止。", s, d);
		break;
	default:
		break;
	}
	if (ob->o.rule != SCHED_R_EXPERT_COMPOSITION)
		buf_adds(b, "此为日历日期：任期、禁止期、年龄、有效期及市科技局确定的日期"
		    "均不因节假日顺延。");
}

char *
sched_explain(const struct sched_calendar *cal, const struct sched_rules *rules,
    const struct pob *ob, const struct sched_event *reg)
{
	struct buf	 b = { 0 };

	buf_init(&b);
	buf_printf(&b, "【%s】%s：", sched_rule_article_cn(ob->o.rule),
	    sched_obligation_title(&ob->o, rules));
	if (ob->o.rule == SCHED_R_PUBLICITY ||
	    ob->o.rule == SCHED_R_OBJECTION_REVIEW)
		explain_workdays(&b, cal, ob);
	else
		explain_calendar(&b, ob, reg);
	if (rules->text[ob->o.rule].closed_by != NULL)
		buf_printf(&b, "办结条件：%s。", rules->text[ob->o.rule].closed_by);
	return buf_take(&b);
}
